/**
 * The shape of the test harness that starts real mail servers on loopback (docs/testing.md). Implemented by
 * `scripts/harness/mail-servers.ts` (`startMailServers`); used by every `*.int.test.ts` and the benches.
 *
 * @module
 */

/** A mail user of the test Dovecot (passwd-file, PLAIN scheme). */
export interface TestUser {
  /** Login name, also the address: `alice@example.test`. */
  readonly user: string;
  readonly password: string;
  /** Numeric uid owning the Maildir (distinct per user where asked, for inotify limits: see NOTES.md). */
  readonly uid: number;
  /** Absolute path of the user's Maildir (`<home>/Maildir`). */
  readonly maildir: string;
}

/** A message to deliver: either raw RFC 5322 text, or parts from which the harness builds one. */
export type TestMessage =
  | string
  | Buffer
  | {
      readonly subject: string;
      readonly from?: string;
      readonly to?: string;
      readonly text?: string;
      readonly headers?: Readonly<Record<string, string>>;
      readonly messageId?: string;
    };

/** Options of `startMailServers`. */
export interface MailServersOptions {
  /** Users to create: names (local parts or full addresses) or a count (user1…userN). Default 2. */
  readonly users?: number | readonly string[];
  /** Give each user its own uid (2000, 2001, …) instead of one shared uid. Default false. */
  readonly distinctUids?: boolean;
  /** Start the SMTP server (smtp-server package, relays into Dovecot by LMTP and records each conversation). Default true. */
  readonly smtp?: boolean;
  /**
   * Checks XOAUTH2 logins at the SMTP server (`user` as sent, `accessToken` the bearer token). Without it every
   * XOAUTH2 login is refused. Room for the OAuth2 issue.
   */
  readonly smtpOAuth?: (user: string, accessToken: string) => boolean;
  /**
   * Lets Dovecot validate OAuth2 bearer tokens itself (XOAUTH2 and OAUTHBEARER on IMAP and POP3): a `driver = oauth2`
   * passdb with `introspection_mode = local` and the key below in its `local_validation_key_dict` (NOTES.md). Password
   * logins keep working. Without it Dovecot offers only PLAIN and LOGIN. Added for issue 7.
   */
  readonly oauth2?: DovecotOAuth2Options;
}

/**
 * How Dovecot validates JWT access tokens (HS256) when `oauth2` is given to `startMailServers`. Dovecot 2.3 accepts
 * a token only when its header `typ` is exactly `JWT`, it has `sub` and `exp`, `exp` is in the future, and its
 * signature verifies with the key filed under the header's `kid` (tokens without `azp` use the `default` key set).
 *
 * @example
 * ```ts
 * const servers = await startMailServers({ oauth2: { keyId: 'k1', hmacKey: randomBytes(32) } });
 * ```
 */
export interface DovecotOAuth2Options {
  /** The `kid` of the JWT header (letters and digits: Dovecot escapes other characters in key paths). */
  readonly keyId: string;
  /** The HS256 secret the identity provider signs with. */
  readonly hmacKey: Buffer | string;
  /** The token claim that must equal the login user name. Default `upn` (as in Microsoft's access tokens). */
  readonly usernameAttribute?: string;
  /**
   * Per protocol, a scope Dovecot requires in the token's `scope` claim (space-separated list); unset means any
   * valid token logs in to that protocol. This is how the test server refuses an SMTP-only token on IMAP.
   */
  readonly scopes?: { readonly imap?: string; readonly pop3?: string };
  /** Accepted `iss` values; unset accepts any issuer. */
  readonly issuers?: readonly string[];
}

/** A message the SMTP server received (the conversation a test may assert on). */
export interface ReceivedSmtpMessage {
  readonly mailFrom: string;
  readonly rcptTo: readonly string[];
  readonly raw: Buffer;
  readonly authUser: string | null;
  readonly secure: boolean;
}

/** Running servers. Every port is on 127.0.0.1 and was picked free by the harness. */
export interface MailServers {
  readonly host: '127.0.0.1';
  readonly ports: {
    readonly imap: number; // plaintext with STARTTLS offered
    readonly imaps: number; // implicit TLS
    readonly pop3: number; // plaintext with STLS offered
    readonly pop3s: number; // implicit TLS
    readonly lmtp: number;
    readonly smtp: number; // STARTTLS offered, AUTH PLAIN/LOGIN against the same users; 0 when smtp: false
    readonly smtps: number; // the same SMTP server with implicit TLS; 0 when smtp: false
  };
  /** The run's temporary directory (config, certificates, homes); removed by `stop()`. */
  readonly dir: string;
  /** Dovecot's log file (look here when a login fails with "Temporary internal error"). */
  readonly dovecotLog: string;
  /** PEM file of the CA that signed the servers' certificate (made per run). */
  readonly caFile: string;
  /** PEM file of another CA that did not sign anything: for "wrong CA" tests. */
  readonly wrongCaFile: string;
  readonly users: readonly TestUser[];
  /** Finds a user by local part or address. Throws when unknown. */
  user(name: string): TestUser;
  /** Delivers through LMTP (a real "new mail" event for IDLE). Resolves when Dovecot accepted it. */
  deliver(to: string, message: TestMessage, options?: { folder?: string }): Promise<void>;
  /** Writes messages straight into the Maildir (fast bulk fill; `seen` puts them in cur/ with the S flag). */
  fill(to: string, messages: readonly TestMessage[], options?: { seen?: boolean; folder?: string }): Promise<void>;
  /** Stops Dovecot (kills its process group); ports stay reserved for `startDovecot`. */
  stopDovecot(): Promise<void>;
  /** Starts Dovecot again on the same ports with the same users and mail. */
  startDovecot(): Promise<void>;
  /** Messages the SMTP server received, in order. */
  readonly smtpReceived: readonly ReceivedSmtpMessage[];
  /** Stops everything and removes the temporary directory. Idempotent. */
  stop(): Promise<void>;
}
