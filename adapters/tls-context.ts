/**
 * TLS contexts that trust Node's root CAs plus a company CA (`tlsCa`), built once per CA and shared by every
 * connection of every adapter. Building one parses ~140 root certificates (~1 MB and tens of ms per connection when
 * done per connect; bench (c) of issue 3 measured 6× the RSS of plain imapflow before this cache).
 *
 * @module
 */
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';

/** Distinct CAs a process uses are few; the bound only keeps a pathological config from growing the map. */
const MAX_CONTEXTS = 64;
const contexts = new Map<string, SecureContext>();

/**
 * The shared context trusting the system roots and `caPem` (in addition, never instead). Throws when `caPem` holds no
 * usable certificate. Certificate verification stays on: callers keep `rejectUnauthorized: true`.
 *
 * @example
 * ```ts
 * tls.connect({ host, port, servername: host, secureContext: secureContextTrusting(pem), rejectUnauthorized: true });
 * ```
 */
export function secureContextTrusting(caPem: string): SecureContext {
  let context = contexts.get(caPem);
  if (!context) {
    context = createSecureContext({ ca: [...rootCertificates, caPem], minVersion: 'TLSv1.2' });
    if (contexts.size >= MAX_CONTEXTS) contexts.clear();
    contexts.set(caPem, context);
  }
  return context;
}
