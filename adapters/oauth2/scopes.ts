/**
 * The protocols OAuth2 signs in for and their Exchange Online scopes (SPEC S4: consent and tokens per protocol).
 *
 * @module
 */

/**
 * The three mail protocols a token can be for.
 *
 * @example
 * ```ts
 * const protocol: OAuth2Protocol = 'pop';
 * ```
 */
export type OAuth2Protocol = 'imap' | 'pop' | 'smtp';

/**
 * Every {@link OAuth2Protocol}, in the order `login` handles them.
 *
 * @example
 * ```ts
 * for (const protocol of OAUTH2_PROTOCOLS) console.log(protocolLabel(protocol)); // IMAP, POP3, SMTP
 * ```
 */
export const OAUTH2_PROTOCOLS: readonly OAuth2Protocol[] = Object.freeze(['imap', 'pop', 'smtp']);

/**
 * The delegated permission of each protocol on Exchange Online ("Office 365 Exchange Online" resource,
 * `https://outlook.office.com`). `offline_access` is asked for with each, so a refresh token comes back.
 *
 * @example
 * ```ts
 * PROTOCOL_SCOPES.smtp; // 'https://outlook.office.com/SMTP.Send'
 * ```
 */
export const PROTOCOL_SCOPES: Readonly<Record<OAuth2Protocol, string>> = Object.freeze({
  imap: 'https://outlook.office.com/IMAP.AccessAsUser.All',
  pop: 'https://outlook.office.com/POP.AccessAsUser.All',
  smtp: 'https://outlook.office.com/SMTP.Send',
});

/**
 * Asks for a refresh token alongside the access token.
 *
 * @example
 * ```ts
 * const scopes = [PROTOCOL_SCOPES.imap, OFFLINE_ACCESS];
 * ```
 */
export const OFFLINE_ACCESS = 'offline_access';

/**
 * App-only access (client credentials): one token for every protocol, carrying the application permissions an
 * administrator granted (`IMAP.AccessAsApp`, `POP.AccessAsApp`, `SMTP.SendAsApp`).
 *
 * @example
 * ```ts
 * await cca.acquireTokenByClientCredential({ scopes: [APP_ONLY_SCOPE] });
 * ```
 */
export const APP_ONLY_SCOPE = 'https://outlook.office365.com/.default';

/**
 * The scopes to request for a delegated token of `protocol`.
 *
 * @example
 * ```ts
 * delegatedScopes('imap'); // ['https://outlook.office.com/IMAP.AccessAsUser.All', 'offline_access']
 * ```
 */
export function delegatedScopes(protocol: OAuth2Protocol): string[] {
  return [PROTOCOL_SCOPES[protocol], OFFLINE_ACCESS];
}

/**
 * Reads a protocol name as a person types it (`imap`, `pop`, `pop3`, `smtp`, any case); `undefined` when unknown.
 *
 * @example
 * ```ts
 * parseProtocol('POP3'); // 'pop'
 * parseProtocol('mapi'); // undefined
 * ```
 */
export function parseProtocol(name: string): OAuth2Protocol | undefined {
  const lower = name.trim().toLowerCase();
  if (lower === 'imap' || lower === 'smtp') return lower;
  if (lower === 'pop' || lower === 'pop3') return 'pop';
  return undefined;
}

/**
 * How a protocol is named in messages to the administrator.
 *
 * @example
 * ```ts
 * protocolLabel('pop'); // 'POP3'
 * ```
 */
export function protocolLabel(protocol: OAuth2Protocol): string {
  return protocol === 'pop' ? 'POP3' : protocol.toUpperCase();
}
