/**
 * DNS rebinding guard of the HTTP endpoint (issue 13.8). A web page on `evil.example` can make a browser resolve
 * `evil.example` to 127.0.0.1 and read the status page, /api/status and /metrics as if it were same-origin; the
 * browser still sends `Host: evil.example`. So a request is answered only when its `Host` names this server: the
 * configured host, a loopback name, or one of `http.allowedHosts` (the names a reverse proxy or people use).
 *
 * @module
 */

/** Loopback names a request from this machine may carry. */
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/**
 * A `Host` header split into its name (lower case, IPv6 in brackets) and port, or `undefined` when it is malformed.
 *
 * @example
 * ```ts
 * parseHostHeader('LocalHost:8025'); // { name: 'localhost', port: '8025' }
 * parseHostHeader('[::1]');          // { name: '[::1]', port: undefined }
 * ```
 */
export function parseHostHeader(value: string): { name: string; port: string | undefined } | undefined {
  const text = value.trim().toLowerCase();
  let name: string;
  let rest: string;
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    if (end < 0) return undefined;
    name = text.slice(0, end + 1);
    rest = text.slice(end + 1);
  } else {
    const colon = text.indexOf(':');
    name = colon < 0 ? text : text.slice(0, colon);
    rest = colon < 0 ? '' : text.slice(colon);
  }
  // A fully qualified name may end with a dot (`localhost.`): the same host.
  if (name.endsWith('.')) name = name.slice(0, -1);
  if (name === '' || name === '[]' || /[\s/@]/.test(name)) return undefined;
  if (rest === '') return { name, port: undefined };
  const port = rest.slice(1);
  if (!rest.startsWith(':') || !/^\d{1,5}$/.test(port)) return undefined;
  return { name, port };
}

/**
 * Builds the check of a server's `Host` headers: loopback names and `host` with any port; an entry of
 * `allowedHosts` with a port matches that port only, one without matches any port.
 *
 * @example
 * ```ts
 * const allowed = hostMatcher('127.0.0.1', ['status.example.com']);
 * allowed('localhost:8025');      // true
 * allowed('evil.example:8025');   // false → 421
 * ```
 */
export function hostMatcher(
  host: string,
  allowedHosts: readonly string[] = [],
): (header: string | undefined) => boolean {
  const anyPort = new Set(LOOPBACK_NAMES);
  const exact = new Set<string>();
  const bracketed = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  for (const entry of [bracketed, ...allowedHosts]) {
    const parsed = parseHostHeader(entry);
    if (!parsed) continue;
    if (parsed.port === undefined) anyPort.add(parsed.name);
    else exact.add(`${parsed.name}:${parsed.port}`);
  }
  return (header) => {
    if (header === undefined) return false;
    const parsed = parseHostHeader(header);
    if (!parsed) return false;
    return anyPort.has(parsed.name) || (parsed.port !== undefined && exact.has(`${parsed.name}:${parsed.port}`));
  };
}
