import type { WebSocket } from 'ws';
import type { NodeSocketHooks } from './websocket-like.js';

/**
 * `ws`'s extras as the link uses them. The receive limit is `ws`'s own `maxPayload`, which it checks against each
 * frame header before buffering the body; `ws` fixes it per server, so it is moved per socket on the receiver,
 * where `ws` 8 keeps it (the tests check that a frame over it is refused before the Hello and accepted after).
 */
export function wsHooks(ws: WebSocket): NodeSocketHooks {
  return {
    send: (data, sent) => ws.send(data, () => sent()),
    terminate: () => ws.terminate(),
    setMaxPayload(bytes: number): void {
      const receiver = (ws as unknown as { _receiver?: { _maxPayload?: number } })._receiver;
      if (receiver !== undefined && typeof receiver._maxPayload === 'number') receiver._maxPayload = bytes;
    },
  };
}
