import type { IncomingMessage } from 'node:http';
import { StatemeshError } from '@statemesh/session';

const PREFIX = '@statemesh/cli: ';

/** The most a JSON request body may hold (values as JSON, text, or base64 bytes). */
export const MAX_JSON_BODY_BYTES = 16 * 1024 * 1024;

/** The largest value a binary `PUT` may carry by default: the session's own limit per value (1 GiB). */
export const DEFAULT_MAX_VALUE_BYTES = 1024 * 1024 * 1024;

/** Reads and parses a JSON body of at most {@link MAX_JSON_BODY_BYTES}; `VALUE_TOO_LARGE` names the way out. */
export function readJsonBody(request: IncomingMessage): Promise<unknown> {
  const reading = readBody(request, MAX_JSON_BODY_BYTES, (size) =>
    `${PREFIX}the JSON request body is ${size === undefined ? 'over' : `${size} bytes, over`} the ${mebibytes(MAX_JSON_BODY_BYTES)} limit of JSON bodies; send bytes as a binary PUT instead (content-type: application/octet-stream, as \`statemesh set --file\` does)`,
  );
  return reading.then(parseJson);
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (error) {
    throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}the request body is not valid JSON`, { cause: error });
  }
}

/**
 * Reads a binary body of at most `max` bytes into one buffer (sized from `content-length` when it is sent).
 * A declared length over `max` throws `VALUE_TOO_LARGE` at once, before any of the body is read.
 */
export function readBinaryBody(request: IncomingMessage, max: number): Promise<Uint8Array> {
  return readBody(request, max, (size) =>
    `${PREFIX}the value is ${size === undefined ? 'over' : `${size} bytes, over`} this node's limit of ${mebibytes(max)} per value (admin.maxValueBytes in the node config); split it into several values`,
  );
}

/** The `content-length` of a request, or undefined when it is sent in chunks. */
export function declaredLength(request: IncomingMessage): number | undefined {
  const header = request.headers['content-length'];
  if (header === undefined) return undefined;
  const length = Number(header);
  if (!Number.isSafeInteger(length) || length < 0) throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}content-length ${JSON.stringify(header)} is not a byte count`);
  return length;
}

/** Formats a byte count for messages: bytes, KiB, MiB or GiB. */
export function mebibytes(bytes: number): string {
  if (bytes < 1024 * 1024) return bytes < 1024 ? `${bytes} bytes` : `${(bytes / 1024).toFixed(1)} KiB`;
  return bytes >= 2 ** 30 && bytes % 2 ** 30 === 0 ? `${bytes / 2 ** 30} GiB` : `${(bytes / 2 ** 20).toFixed(bytes % 2 ** 20 === 0 ? 0 : 1)} MiB`;
}

/** Checks the declared length now (synchronously: before a "100 Continue"), then reads. */
function readBody(request: IncomingMessage, max: number, tooLarge: (size: number | undefined) => string): Promise<Uint8Array> {
  const length = declaredLength(request);
  if (length !== undefined && length > max) throw new StatemeshError('VALUE_TOO_LARGE', tooLarge(length), { details: { size: length, max } });
  return collect(request, length, max, tooLarge);
}

async function collect(request: IncomingMessage, length: number | undefined, max: number, tooLarge: (size: number | undefined) => string): Promise<Uint8Array> {
  // With a declared length the body goes straight into one buffer: one copy, never the chunks and their sum.
  const out = length === undefined ? undefined : Buffer.allocUnsafe(length);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    if (size + chunk.byteLength > (length ?? max)) {
      if (length !== undefined) throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}the request body is longer than its content-length (${length})`);
      throw new StatemeshError('VALUE_TOO_LARGE', tooLarge(undefined), { details: { max } });
    }
    if (out === undefined) chunks.push(chunk);
    else chunk.copy(out, size);
    size += chunk.byteLength;
  }
  if (out === undefined) return Buffer.concat(chunks, size);
  if (size !== length) throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}the request body ended after ${size} of its ${length} bytes`);
  return out;
}
