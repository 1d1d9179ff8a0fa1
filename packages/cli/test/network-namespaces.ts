// Two Linux network namespaces joined by a veth pair, for tests of a real partition (needs root and iproute2):
// `smtest-<pid>-a` holds 10.<x>.<y>.1, `smtest-<pid>-b` 10.<x>.<y>.2. `cut()` drops every packet between them (no
// FIN, no RST reaches either side) in one of two ways: a's end of the pair down (`link-down`: both ends lose
// carrier), or a blackhole route to the other side in each namespace (`blackhole`: the interfaces stay up, as when
// a router between two machines fails); `heal()` undoes it. Namespaces left by an earlier run that crashed
// (`smtest-*` whose pid is gone) are deleted before new ones are made.
import { execFileSync, spawnSync } from 'node:child_process';

const IP = '/usr/sbin/ip';

/** Runs `ip ...args`; throws with its stderr when it fails. */
function ip(...args: string[]): string {
  return execFileSync(IP, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Whether this process can make network namespaces: root, with iproute2 installed. */
export function canMakeNamespaces(): boolean {
  return process.getuid?.() === 0 && spawnSync(IP, ['-V'], { stdio: 'ignore' }).status === 0;
}

/** Deletes every `smtest-<pid>-*` namespace whose process is gone (a run that crashed before its cleanup). */
export function removeStaleNamespaces(): void {
  for (const line of ip('netns', 'list').split('\n')) {
    const match = /^(smtest-(\d+)-\w+)/.exec(line);
    if (match === null || processAlive(Number(match[2]))) continue;
    deleteNamespace(match[1]!);
  }
}

/** SIGKILLs the processes left in namespace `ns` (nodes of a run that crashed), then deletes it; never throws. */
function deleteNamespace(ns: string): void {
  const pids = spawnSync(IP, ['netns', 'pids', ns], { encoding: 'utf8' }).stdout ?? '';
  for (const pid of pids.split('\n').filter((line) => /^\d+$/.test(line))) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
  spawnSync(IP, ['netns', 'delete', ns], { stdio: 'ignore' });
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * How `cut()` drops the packets: a's interface down, blackhole routes with the interfaces up, or one way only
 * (`a-to-b`: what a sends is dropped, what b sends still arrives).
 */
export type CutKind = 'link-down' | 'blackhole' | 'a-to-b';

/** The two namespaces, their addresses and the veth pair between them. */
export class NamespacePair {
  readonly a: string;
  readonly b: string;
  readonly addressA: string;
  readonly addressB: string;
  readonly #vethA: string;
  #cut: CutKind | undefined;

  private constructor(tag: string, subnet: string) {
    this.a = `smtest-${tag}-a`;
    this.b = `smtest-${tag}-b`;
    this.addressA = `${subnet}.1`;
    this.addressB = `${subnet}.2`;
    this.#vethA = `sm${tag}a`.slice(0, 15);
  }

  /** Makes the namespaces, the veth pair (a /30 in 10.x.y.0) and brings every interface up. */
  static create(): NamespacePair {
    const tag = String(process.pid);
    // A /30 picked from the pid, inside the namespaces only: the root namespace's routes are never touched.
    const subnet = `10.${200 + (process.pid % 50)}.${(process.pid >> 6) % 250}`;
    const pair = new NamespacePair(tag, subnet);
    const vethB = `sm${tag}b`.slice(0, 15);
    try {
      ip('netns', 'add', pair.a);
      ip('netns', 'add', pair.b);
      ip('link', 'add', pair.#vethA, 'netns', pair.a, 'type', 'veth', 'peer', 'name', vethB, 'netns', pair.b);
      ip('-n', pair.a, 'addr', 'add', `${pair.addressA}/30`, 'dev', pair.#vethA);
      ip('-n', pair.b, 'addr', 'add', `${pair.addressB}/30`, 'dev', vethB);
      for (const [ns, dev] of [[pair.a, pair.#vethA], [pair.b, vethB]] as const) {
        ip('-n', ns, 'link', 'set', 'lo', 'up');
        ip('-n', ns, 'link', 'set', dev, 'up');
      }
    } catch (error) {
      pair.destroy();
      throw error;
    }
    return pair;
  }

  /** The command prefix that runs a program inside namespace `ns`. */
  exec(ns: string): string[] {
    return [IP, 'netns', 'exec', ns];
  }

  /** Partitions a from b: nothing crosses, nothing is said. */
  cut(how: CutKind): void {
    if (this.#cut !== undefined) throw new Error(`already cut (${this.#cut})`);
    if (how === 'link-down') ip('-n', this.a, 'link', 'set', this.#vethA, 'down');
    else for (const [ns, to] of this.#blackholes(how)) ip('-n', ns, 'route', 'add', 'blackhole', `${to}/32`);
    this.#cut = how;
  }

  /** Ends the partition. */
  heal(): void {
    if (this.#cut === 'link-down') ip('-n', this.a, 'link', 'set', this.#vethA, 'up');
    else if (this.#cut !== undefined) for (const [ns, to] of this.#blackholes(this.#cut)) ip('-n', ns, 'route', 'del', 'blackhole', `${to}/32`);
    this.#cut = undefined;
  }

  /** The blackhole routes of a cut: [namespace, destination]. */
  #blackholes(how: Exclude<CutKind, 'link-down'>): Array<readonly [string, string]> {
    const aToB = [this.a, this.addressB] as const;
    return how === 'a-to-b' ? [aToB] : [aToB, [this.b, this.addressA]];
  }

  /** Deletes both namespaces (and with them the veth pair), SIGKILLing what still runs in them; never throws. */
  destroy(): void {
    for (const ns of [this.a, this.b]) deleteNamespace(ns);
  }
}
