// Issue 13, finding 1, with real processes: a node killed and restarted with no disk and no peer to ask must not
// reuse a sequence number: its new writes reach the other node and the replicas converge.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/line-node.ts', import.meta.url));

/** One node process and its line protocol. */
class LineNode {
  readonly child: ChildProcess;
  readonly #lines: Interface;
  readonly #waiting: ((line: Record<string, unknown>) => void)[] = [];
  readonly #queued: Record<string, unknown>[] = [];
  readonly exited: Promise<void>;
  stderr = '';

  constructor(args: readonly string[]) {
    this.child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@statemesh/source', FIXTURE, ...args], { cwd: packageDir, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr!.setEncoding('utf8').on('data', (text: string) => (this.stderr += text));
    this.#lines = createInterface({ input: this.child.stdout! });
    this.#lines.on('line', (line) => {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      const waiter = this.#waiting.shift();
      if (waiter === undefined) this.#queued.push(parsed);
      else waiter(parsed);
    });
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
  }

  /** The next line printed, within 15 s. */
  next(): Promise<Record<string, unknown>> {
    const queued = this.#queued.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer from the node process; stderr: ${this.stderr}`)), 15_000);
      this.#waiting.push((line) => {
        clearTimeout(timer);
        resolve(line);
      });
    });
  }

  async ask(command: string): Promise<Record<string, unknown>> {
    this.child.stdin!.write(`${command}\n`);
    return this.next();
  }

  /** Asks the node to close and waits for the process to exit by itself; resolves with its exit code. */
  async close(): Promise<number | null> {
    this.child.stdin!.end('close\n');
    await this.exited;
    return this.child.exitCode;
  }

  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}

async function until(what: string, condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

let dir: string | undefined;
const nodes: LineNode[] = [];

afterEach(async () => {
  await Promise.all(nodes.splice(0).map((node) => node.kill()));
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

async function start(args: readonly string[]): Promise<LineNode> {
  const node = new LineNode(args);
  nodes.push(node);
  expect(await node.next()).toEqual({ ready: args[0] });
  return node;
}

describe('a node restarted with no disk and no reachable peer', () => {
  it('writes under a new origin: its new write reaches the other node and the digests converge', async () => {
    dir = mkdtempSync(join(tmpdir(), 'statemesh-restart-'));
    const socket = (id: string) => join(dir!, `${id}.sock`);
    let a = await start(['a', socket('a')]);
    const b = await start(['b', socket('b'), socket('a')]);
    const first = [];
    for (const key of ['k1', 'k2', 'k3']) first.push(((await a.ask(`set ${key} "${key}"`)) as { version: { origin: string; seq: number } }).version);
    await until('b to hold k3', async () => (await b.ask('get k3'))['value'] === 'k3');

    await a.kill(); // SIGKILL: nothing is flushed, nothing is kept
    a = await start(['a', socket('a')]);
    const written = (await a.ask('set new1 1')) as { version: { origin: string; seq: number } };
    expect(written.version.seq).toBe(1);
    expect(written.version.origin).not.toBe(first[0]!.origin);
    expect(written.version.origin.startsWith('a~')).toBe(true);

    await until('b to hold new1', async () => (await b.ask('get new1'))['value'] === 1);
    await until('a to get k1..k3 back and the digests to agree', async () => (await a.ask('digest'))['digest'] === (await b.ask('digest'))['digest']);
    expect(await a.ask('get k1')).toMatchObject({ value: 'k1', origin: first[0]!.origin });
    expect(await Promise.all([a.close(), b.close()])).toEqual([0, 0]);
  }, 60_000);
});
