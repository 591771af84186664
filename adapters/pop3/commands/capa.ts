/**
 * `CAPA` (RFC 2449): what the server announces.
 *
 * @module
 */
import { Pop3CommandError } from '../errors.js';
import type { Pop3Transport } from '../transport.js';

/**
 * The capabilities as upper-case first words (`UIDL`, `TOP`, `STLS`, `PIPELINING`, `SASL`, …) plus one
 * `SASL <mechanisms>` entry; empty when the server has no CAPA (it is optional). Asked on demand only: it would cost
 * every cycle a round trip for what USER/PASS does not need.
 *
 * @example
 * ```ts
 * if ((await capa(transport)).has('PIPELINING')) heads = await topMany(transport, [1, 2, 3]);
 * ```
 */
export async function capa(transport: Pop3Transport): Promise<ReadonlySet<string>> {
  const capabilities = new Set<string>();
  let body: Buffer | undefined;
  try {
    ({ body } = await transport.exec({ line: 'CAPA', name: 'CAPA', multiline: true }));
  } catch (error) {
    if (error instanceof Pop3CommandError) return capabilities;
    throw error;
  }
  for (const line of (body ?? Buffer.alloc(0)).toString('utf8').split(/\r?\n/)) {
    const [name = '', ...rest] = line.trim().split(/\s+/);
    if (name === '') continue;
    capabilities.add(name.toUpperCase());
    if (name.toUpperCase() === 'SASL') capabilities.add(`SASL ${rest.join(' ').toUpperCase()}`);
  }
  return capabilities;
}
