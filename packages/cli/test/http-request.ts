// A raw HTTP request, for what fetch cannot send (a Host header of our choice) or to read an answer whole.
import { request } from 'node:http';

/** What a node answered. */
export interface RawAnswer {
  readonly status: number;
  readonly body: string;
}

/** Sends one request to `url` with exactly these headers and body; resolves with the answer. */
export function rawRequest(url: string, options: { method?: string; headers?: Record<string, string>; body?: Uint8Array | string } = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (text: string) => (body += text));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}
