// Benchmark of @statemesh/codec-zstd beside @mongodb-js/zstd called directly and the zstd command-line tool's own
// benchmark (`zstd -bN`), all measured in the same run, their runs alternating. Prints plain lines: ours, peer,
// ratio. Medians: 6 runs of ours and 3 of the CLI (each `zstd -b -i1`) per level, 5 runs for messages.
// Needs the `zstd` Debian package. Run with `pnpm bench` in this folder.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compress as directCompress, decompress as directDecompress } from '@mongodb-js/zstd';
import { decodeMessageBatch, encodeMessageBatch, zstdCodec } from '@statemesh/codec-zstd';
import { SeededRandom } from '@statemesh/contracts/testing/seeded-random';

const RUNS = 5;
const RUN_MS = 400;
const CLI_RUNS = 3;
const MESSAGE_BATCH = 64;
const MB = 1e6; // the zstd CLI's MB/s are 10^6 bytes a second

function floatVolumeBrick(side: number): Uint8Array {
  // A bricked scalar field: a smooth density inside a sphere, empty space (zeros) around it, a little noise.
  const values = new Float32Array(side * side * side);
  const random = new SeededRandom(12345);
  const noise = (): number => random.next() - 0.5;
  const c = side / 2;
  for (let z = 0, i = 0; z < side; z++) {
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++, i++) {
        const r = Math.hypot(x - c, y - c, z - c) / c;
        values[i] = r > 0.9 ? 0 : Math.fround(Math.sin(x / 7) * Math.cos(y / 9) * (1 - r) + 0.001 * noise());
      }
    }
  }
  return new Uint8Array(values.buffer);
}

function jsonScene(targetBytes: number): Uint8Array {
  const nodes: unknown[] = [];
  let size = 0;
  for (let i = 0; size < targetBytes; i++) {
    const node = {
      path: `scene.volumes.v${i % 17}.bricks.b${i}`,
      visible: i % 5 !== 0,
      transform: [1, 0, 0, (i * 0.37) % 11, 0, 1, 0, (i * 0.73) % 13, 0, 0, 1, (i * 1.31) % 7].map((v) => Number(v.toFixed(4))),
      material: { colormap: ['viridis', 'magma', 'gray'][i % 3], opacity: Number(((i % 100) / 100).toFixed(2)) },
      lod: i % 4,
      digest: (Math.imul(i, 2654435761) >>> 0).toString(16).padStart(8, '0').repeat(8),
    };
    const text = JSON.stringify(node);
    nodes.push(node);
    size += text.length + 1;
  }
  return new TextEncoder().encode(JSON.stringify({ camera: { fov: 45, position: [0, 0, 10] }, nodes }));
}

function oneKibMessages(count: number): Uint8Array[] {
  const messages: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const text = JSON.stringify({ origin: `node-${i % 7}`, seq: i, path: `scene.camera.c${i % 13}.fov`, value: i * 0.5 });
    const bytes = new Uint8Array(1024);
    bytes.set(new TextEncoder().encode(text.repeat(Math.ceil(1024 / text.length))).subarray(0, 1024));
    messages.push(bytes);
  }
  return messages;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/**
 * Units per second of each contender, the median of RUNS runs. The contenders' runs alternate (run 1 of each,
 * then run 2 of each...), so load on the shared machine falls on all of them alike.
 */
async function rates(contenders: ReadonlyArray<{ step: () => Promise<unknown>; units: number }>, runCount = RUNS): Promise<number[][]> {
  for (const { step } of contenders) await step(); // warm up
  const runs: number[][] = contenders.map(() => []);
  for (let run = 0; run < runCount; run++) {
    for (const [index, { step, units: unitsPerStep }] of contenders.entries()) {
      let units = 0;
      const start = performance.now();
      let elapsed = 0;
      while (elapsed < RUN_MS) {
        await step();
        units += unitsPerStep;
        elapsed = performance.now() - start;
      }
      runs[index]!.push((units * 1000) / elapsed);
    }
  }
  return runs;
}

interface CliFigures {
  compressMBs: number;
  decompressMBs: number;
  compressedBytes: number;
}

function cliBench(file: string, level: number): CliFigures {
  const result = spawnSync('zstd', [`-b${level}`, '-i1', file], { encoding: 'utf8', timeout: 120_000 });
  if (result.error !== undefined) throw new Error(`zstd CLI not runnable (install the zstd Debian package): ${result.error.message}`);
  const text = `${result.stdout}${result.stderr}`.replaceAll('\r', '\n');
  const lines = [...text.matchAll(/(\d+) -> +(\d+) \(x?[\d.]+\),\s*([\d.]+) MB\/s,\s*([\d.]+) MB\/s/g)];
  const last = lines.at(-1);
  if (last === undefined) throw new Error(`cannot parse zstd -b${level} output:\n${text}`);
  return { compressedBytes: Number(last[2]), compressMBs: Number(last[3]), decompressMBs: Number(last[4]) };
}

const fmt = (value: number, digits = 1): string => value.toFixed(digits);
const ratio = (ours: number, peer: number): string => `${fmt(ours / peer, 2)}x`;

async function bulk(name: string, payload: Uint8Array, dir: string): Promise<void> {
  const file = join(dir, name);
  writeFileSync(file, payload);
  const buffer = Buffer.from(payload);
  const directFrame = await directCompress(buffer);
  console.log(`\n${name}: ${payload.byteLength} bytes`);
  for (const level of [1, 3]) {
    const codec = zstdCodec({ level });
    const frame = await codec.encode(payload);
    // The CLI's runs alternate with ours too: CLI, ours, CLI, ours, CLI, ours.
    const ours: number[][] = [[], [], [], []];
    const clis: CliFigures[] = [];
    for (let run = 0; run < CLI_RUNS; run++) {
      clis.push(cliBench(file, level));
      const figures = await rates(
        [
          { step: () => codec.encode(payload), units: payload.byteLength },
          { step: () => directCompress(buffer), units: payload.byteLength },
          { step: () => codec.decode(frame), units: payload.byteLength },
          { step: () => directDecompress(directFrame), units: payload.byteLength },
        ],
        2,
      );
      figures.forEach((runs, index) => ours[index]!.push(...runs));
    }
    const [encodeMBs, directEncodeMBs, decodeMBs, directDecodeMBs] = ours.map((runs) => median(runs) / MB) as [number, number, number, number];
    const cli: CliFigures = {
      compressMBs: median(clis.map((f) => f.compressMBs)),
      decompressMBs: median(clis.map((f) => f.decompressMBs)),
      compressedBytes: clis[0]!.compressedBytes,
    };
    console.log(`  level ${level} compress   ours ${fmt(encodeMBs)} MB/s | zstd -b${level} ${fmt(cli.compressMBs)} MB/s | ratio ${ratio(encodeMBs, cli.compressMBs)}` +
      ` | direct @mongodb-js/zstd compress() ${fmt(directEncodeMBs)} MB/s (always level 3) | ratio ${ratio(encodeMBs, directEncodeMBs)}`);
    console.log(`  level ${level} decompress ours ${fmt(decodeMBs)} MB/s | zstd -b${level} ${fmt(cli.decompressMBs)} MB/s | ratio ${ratio(decodeMBs, cli.decompressMBs)}` +
      ` | direct @mongodb-js/zstd decompress() ${fmt(directDecodeMBs)} MB/s | ratio ${ratio(decodeMBs, directDecodeMBs)}`);
    console.log(`  level ${level} size       ours ${frame.byteLength} bytes (x${fmt(payload.byteLength / frame.byteLength, 2)}) | zstd -b${level} ${cli.compressedBytes} bytes (x${fmt(payload.byteLength / cli.compressedBytes, 2)})` +
      ` | direct ${directFrame.byteLength} bytes`);
  }
}

async function messages(): Promise<void> {
  const all = oneKibMessages(MESSAGE_BATCH * 16);
  const codec = zstdCodec({ level: 3 });
  const batches: Uint8Array[][] = [];
  for (let i = 0; i < all.length; i += MESSAGE_BATCH) batches.push(all.slice(i, i + MESSAGE_BATCH));
  const directFrames = await Promise.all(all.map((m) => directCompress(Buffer.from(m))));
  const ourBatchFrames = await Promise.all(batches.map((batch) => encodeMessageBatch(codec, batch)));
  let a = 0;
  let b = 0;
  let c = 0;
  let d = 0;
  let e = 0;
  const [oursBatched, directEach, oursEach, oursDecodeBatched, directDecodeEach] = (
    await rates([
    { step: () => encodeMessageBatch(codec, batches[a++ % batches.length]!), units: MESSAGE_BATCH },
    { step: () => directCompress(Buffer.from(all[b++ % all.length]!)), units: 1 },
    { step: () => codec.encode(all[c++ % all.length]!), units: 1 },
    { step: () => decodeMessageBatch(codec, ourBatchFrames[d++ % ourBatchFrames.length]!), units: MESSAGE_BATCH },
    { step: () => directDecompress(directFrames[e++ % directFrames.length]!), units: 1 },
    ])
  ).map(median) as [number, number, number, number, number];
  const batchBytes = ourBatchFrames.reduce((sum, frame) => sum + frame.byteLength, 0) / ourBatchFrames.length;
  const directBytes = directFrames.reduce((sum, frame) => sum + frame.byteLength, 0) / directFrames.length;
  console.log(`\n1 KiB messages, level 3 (batches of ${MESSAGE_BATCH} messages in one frame via encodeMessageBatch)`);
  console.log(`  compress   ours batched ${fmt(oursBatched, 0)} msg/s | direct @mongodb-js/zstd, one async call each ${fmt(directEach, 0)} msg/s | ratio ${ratio(oursBatched, directEach)}`);
  console.log(`  decompress ours batched ${fmt(oursDecodeBatched, 0)} msg/s | direct @mongodb-js/zstd, one async call each ${fmt(directDecodeEach, 0)} msg/s | ratio ${ratio(oursDecodeBatched, directDecodeEach)}`);
  console.log(`  unbatched  ours zstdCodec().encode, one message each ${fmt(oursEach, 0)} msg/s | direct ${fmt(directEach, 0)} msg/s | ratio ${ratio(oursEach, directEach)}`);
  console.log(`  size       ours ${fmt(batchBytes / MESSAGE_BATCH, 1)} bytes/msg batched | direct ${fmt(directBytes, 1)} bytes/msg, one frame each`);
}

const dir = mkdtempSync(join(tmpdir(), 'codec-zstd-bench-'));
try {
  console.log(`@statemesh/codec-zstd benchmark: medians of runs of ${RUN_MS} ms (${CLI_RUNS} runs of zstd -b -i1 per level); zstd CLI: ${spawnSync('zstd', ['--version'], { encoding: 'utf8' }).stdout.trim()}`);
  await bulk('float32 volume brick 64^3', floatVolumeBrick(64), dir);
  await bulk('JSON scene', jsonScene(1024 * 1024), dir);
  await messages();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
