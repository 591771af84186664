/**
 * `RETR` (RFC 1939 §5): a whole message, byte for byte.
 *
 * @module
 */
import { Readable } from 'node:stream';
import type { Pop3Transport } from '../transport.js';

/**
 * `RETR n`: the message as one Buffer (dot-stuffing undone, final CRLF kept, 8-bit bytes as sent).
 *
 * @example
 * ```ts
 * const source = await retr(transport, 1);
 * ```
 */
export async function retr(transport: Pop3Transport, number: number): Promise<Buffer> {
  const { body } = await transport.exec({ line: `RETR ${number}`, name: 'RETR', multiline: true, needsLogin: true });
  return body ?? Buffer.alloc(0);
}

/**
 * `RETR n` as a stream of the message's bytes as they arrive, with back-pressure: while the consumer is full the
 * socket is not read (and the reply timeout waits). `-ERR` or a lost connection is the stream's error. Later
 * commands wait until the message has been read to its end, so read it (or destroy it) before the next one.
 *
 * @example
 * ```ts
 * await pipeline(retrStream(transport, 1), createWriteStream('message.eml'));
 * ```
 */
export function retrStream(transport: Pop3Transport, number: number): Readable {
  const stream = new Readable({ read: () => transport.resumeReading() });
  transport
    .exec({
      line: `RETR ${number}`,
      name: 'RETR',
      multiline: true,
      needsLogin: true,
      onBody: (chunk) => {
        // A destroyed stream's bytes are read and dropped: the connection must stay in step.
        if (!stream.destroyed && !stream.push(chunk)) transport.pauseReading();
      },
    })
    .then(
      () => stream.push(null),
      (error: unknown) => stream.destroy(error as Error),
    );
  return stream;
}
