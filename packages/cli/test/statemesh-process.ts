// Runs the statemesh binary from its TypeScript source, as a user runs the built one: a real process.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const BIN = fileURLToPath(new URL('../src/bin.ts', import.meta.url));
const NODE_ARGS = ['--import', 'tsx', '--conditions=@statemesh/source', BIN];

/** What a finished command printed and its exit code. */
export interface CommandResult {
  readonly code: number | null;
  /** The signal that ended the process, if one did. */
  readonly signal?: string | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `statemesh ...args` to completion (killed after `timeoutMs`). */
export function statemesh(args: readonly string[], env: Record<string, string> = {}, timeoutMs = 20_000): Promise<CommandResult> {
  const child = spawnStatemesh(args, env);
  return collect(child, timeoutMs);
}

/**
 * Starts `statemesh ...args` and returns the process (stdout/stderr piped). `prefix` is a command that runs it,
 * e.g. `ip netns exec <ns>` (which execs it: the process is the node itself).
 */
export function spawnStatemesh(args: readonly string[], env: Record<string, string> = {}, prefix: readonly string[] = []): ChildProcess {
  const [command, ...rest] = [...prefix, process.execPath, ...NODE_ARGS, ...args];
  return spawn(command!, rest, {
    cwd: ROOT,
    env: { ...process.env, STATEMESH_NODE: '', STATEMESH_TOKEN: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Waits for the process to end; kills it after `timeoutMs`. */
export function collect(child: ChildProcess, timeoutMs = 20_000): Promise<CommandResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr?.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A `statemesh node --json` process. */
export class NodeProcess {
  readonly child: ChildProcess;
  readonly events: Array<Record<string, unknown>> = [];
  readonly #exit: Promise<CommandResult>;
  #listeners: Array<() => void> = [];

  private constructor(child: ChildProcess) {
    this.child = child;
    let buffer = '';
    child.stdout!.setEncoding('utf8').on('data', (text: string) => {
      buffer += text;
      for (let end = buffer.indexOf('\n'); end >= 0; end = buffer.indexOf('\n')) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 1);
        if (line.startsWith('{')) this.events.push(JSON.parse(line) as Record<string, unknown>);
        for (const listener of this.#listeners) listener();
      }
    });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    this.#exit = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout: '', stderr })));
  }

  /** Starts `statemesh node --json ...args` and waits until its admin API (and HTTP endpoint if asked) listens. */
  static async start(args: readonly string[], env: Record<string, string> = {}, prefix: readonly string[] = []): Promise<NodeProcess> {
    const node = new NodeProcess(spawnStatemesh(['node', '--json', ...args], env, prefix));
    const wantsHttp = args.includes('--http-port') || args.some((arg) => arg.endsWith('.json'));
    try {
      await node.waitFor((events) => events.some((e) => e['event'] === 'admin') && (!wantsHttp || events.some((e) => e['event'] === 'http')), 20_000);
    } catch (error) {
      // Not handed to the caller, so nobody else would stop it.
      await node.stop('SIGKILL');
      throw error;
    }
    return node;
  }

  /** The admin API's URL. */
  get adminUrl(): string {
    return this.events.find((e) => e['event'] === 'admin')!['url'] as string;
  }

  /** The HTTP endpoint's URL. */
  get httpUrl(): string {
    return this.events.find((e) => e['event'] === 'http')!['url'] as string;
  }

  /** Resolves once `condition` holds for the events printed so far. */
  waitFor(condition: (events: ReadonlyArray<Record<string, unknown>>) => boolean, timeoutMs = 10_000): Promise<void> {
    if (condition(this.events)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out; events so far: ${JSON.stringify(this.events)}`));
      }, timeoutMs);
      const check = () => {
        if (!condition(this.events)) return;
        done();
        resolve();
      };
      const done = () => {
        clearTimeout(timer);
        this.#listeners = this.#listeners.filter((listener) => listener !== check);
      };
      this.#listeners.push(check);
      void this.#exit.then((result) => {
        if (this.#listeners.includes(check)) {
          done();
          reject(new Error(`the node exited with ${result.code}: ${result.stderr}`));
        }
      });
    });
  }

  /** Sends `signal` and resolves with the exit code (SIGKILL after 10 s). */
  async stop(signal: 'SIGTERM' | 'SIGINT' | 'SIGKILL' = 'SIGTERM'): Promise<CommandResult> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill(signal);
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
      const result = await this.#exit;
      clearTimeout(timer);
      return result;
    }
    return this.#exit;
  }
}
