import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { SessionConfig } from '../config.js';
import type { NodeEvent, NodeReply, NodeRequest } from './node-protocol.js';

// In the repository the demo runs from TypeScript sources (tsx); published, from dist/. Children run the same way,
// inheriting the parent's Node flags.
const ENTRY = new URL(import.meta.url.endsWith('.ts') ? './demo-node.ts' : './demo-node.js', import.meta.url);
// From sources under a runner that transforms TypeScript itself (vitest), the children need tsx to run.
const EXEC_ARGV =
  import.meta.url.endsWith('.ts') && !process.execArgv.some((arg) => arg === 'tsx' || /[\\/]tsx[\\/]dist[\\/]/.test(arg)) ? [...process.execArgv, '--import', 'tsx', '--conditions=@statemesh/source'] : process.execArgv;

/** A node of the demo in its own process, driven by requests. */
export class NodeProcess extends EventEmitter {
  readonly name: string;
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  #nextId = 1;
  #exited = false;

  private constructor(name: string, child: ChildProcess) {
    super();
    this.name = name;
    this.#child = child;
    child.on('message', (message: NodeReply | NodeEvent) => {
      if ('id' in message) {
        const waiter = this.#pending.get(message.id);
        this.#pending.delete(message.id);
        if (message.error !== undefined) waiter?.reject(new Error(`${name}: ${message.error}`));
        else waiter?.resolve(message.result);
      } else {
        this.emit(message.type, message);
      }
    });
    child.on('exit', (code, signal) => {
      this.#exited = true;
      for (const waiter of this.#pending.values()) waiter.reject(new Error(`${name} exited (${signal ?? code}) before answering`));
      this.#pending.clear();
      this.emit('exit', code, signal);
    });
  }

  /**
   * Starts a node process and resolves once it has joined its cluster. With `web`, the node also takes browsers'
   * WebSocket links on 127.0.0.1:`web.port` (the token goes in the child's environment, never its command line).
   */
  static async start(name: string, config: SessionConfig, timeoutMs = 30_000, web?: { readonly port: number; readonly token: string }): Promise<NodeProcess> {
    const env = web === undefined ? process.env : { ...process.env, STATEMESH_DEMO_WEB_PORT: String(web.port), STATEMESH_DEMO_WEB_TOKEN: web.token };
    const child = fork(ENTRY, [JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env, execArgv: EXEC_ARGV });
    const node = new NodeProcess(name, child);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} did not join within ${timeoutMs} ms`)), timeoutMs);
      node.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
      node.once('exit', (code: number | null) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited with ${code} while joining`));
      });
    });
    return node;
  }

  /** Sends a request and resolves with the node's answer. */
  request<T>(op: string, ...args: unknown[]): Promise<T> {
    if (this.#exited) return Promise.reject(new Error(`${this.name} is not running`));
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.#child.send({ id, op, args } satisfies NodeRequest);
    });
  }

  /** Kills the process at once, as a crash would (SIGKILL), and waits for it to be gone. */
  async kill(): Promise<void> {
    if (this.#exited) return;
    const gone = new Promise((resolve) => this.once('exit', resolve));
    this.#child.kill('SIGKILL');
    await gone;
  }

  /** Asks the node to close cleanly; kills it if it does not exit within `timeoutMs`. */
  async stop(timeoutMs = 5000): Promise<void> {
    if (this.#exited) return;
    const gone = new Promise((resolve) => this.once('exit', resolve));
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), timeoutMs);
    await this.request('close').catch(() => undefined);
    await gone;
    clearTimeout(timer);
  }
}
