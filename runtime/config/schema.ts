/**
 * The configuration's shape, defined once: validation, defaults, TypeScript types and the JSON Schema shipped for
 * editors (`docs/config.schema.json`) all come from these definitions. Defaults are documented here and in
 * docs/configuration.md.
 *
 * (Over 400 lines: it is the single place of every default and every check a config can fail — issue 14 point 2 —
 * so the keys of a mailbox, their defaults per service and the checks across keys stay in one reading.)
 *
 * @module
 */
import { z } from 'zod';
import { imapAddressOptions } from '../../adapters/imap/options.js';
import { pop3AddressOptions } from '../../adapters/pop3/config.js';
import { parseServerAddress, type ServerAddressOptions } from '../../adapters/server-address.js';
import { SMTP_ADDRESS_OPTIONS } from '../../adapters/smtp/config.js';
import { parseDuration } from './duration.js';
import { parseStartAt, START_AT_EXPECTED } from './start-at.js';

/** A duration: `30s`, `5m`, `1h`, `1h30m`, `500ms`, or milliseconds as a number. */
const duration = z
  .union([z.number().nonnegative(), z.string()])
  .transform((value, context) => {
    const ms = parseDuration(value);
    if (ms === undefined) {
      context.addIssue({
        code: 'custom',
        message: `expected a duration such as "30s", "5m", "1h" or a number of milliseconds, got ${JSON.stringify(value)}`,
      });
      return z.NEVER;
    }
    return ms;
  })
  .meta({ description: 'A duration: "500ms", "30s", "5m", "1h", "1h30m", or milliseconds as a number.' });

const nonEmpty = (what: string) =>
  z.string({ error: `expected ${what} (a non-empty string)` }).min(1, `expected ${what}`);

/** Attachment bytes kept in memory per message for a handler (the default of `maxBodyBytes`): 25 MiB. */
const MAX_BODY_BYTES = 25 * 1024 * 1024;

/** Characters of a message's text part that `body:` rule conditions test (the default of `bodyMatchBytes`): 64 KiB. */
const BODY_MATCH_BYTES = 64 * 1024;

/** The four services of SPEC S1. */
export const SERVICE_KINDS = ['imap', 'pop3', 'mapi-extended', 'mapi-simple'] as const;

/** SMTP for sending (replies, forwards, send actions) of an IMAP or POP3 mailbox. */
export const smtpSchema = z
  .object({
    server: nonEmpty('an SMTP server: host, IP address or URL (smtp://host:587, smtps://host:465)'),
    user: z.string().optional(),
    password: z.string().optional(),
    passwordFile: z
      .string()
      .optional()
      .meta({ description: 'Read the password from this file (trailing newline removed).' }),
    tlsCa: z.string().optional().meta({ description: 'PEM file of a CA to trust in addition to the system CAs.' }),
    allowPlaintext: z.boolean().default(false).meta({
      description:
        'With smtp:// (STARTTLS): allow plaintext. Not taken from the mailbox: each server is its own exception.',
    }),
    from: z.string().optional().meta({ description: 'Sender address of automatic mail. Default: the mailbox user.' }),
  })
  .strict()
  .meta({
    description:
      'SMTP for replies, forwards and sends. user, password (or the mailbox oauth2) and tlsCa default to the mailbox; see docs/configuration.md.',
  });

/**
 * The end-to-end canary (issue 15 point 5): off unless given. `to` defaults to the mailbox's user (resolve.ts);
 * imap and pop3 only, and only with `smtp` (checked in {@link serviceIssues}).
 */
export const canarySchema = z
  .object({
    every: duration.default(15 * 60_000).meta({ description: 'How often a canary message is sent. Default 15 min.' }),
    within: duration.default(2 * 60_000).meta({
      description:
        'A canary not discovered this long after it was sent is missed (logged, health degraded). Default 2 min.',
    }),
    to: z.string().min(1).optional().meta({ description: 'Address the canary is sent to. Default: the mailbox user.' }),
  })
  .strict()
  .meta({
    description:
      'Sends a marked message to the mailbox through its smtp every `every` and expects it discovered within `within`; it is removed and never shown to rules (docs/service.md).',
  });

/** Retry policy of a failing handler before the message is dead-lettered. */
export const handlerPolicySchema = z
  .object({
    retries: z.number().int().min(0).max(20).default(3).meta({ description: 'Retries after the first failure.' }),
    retryDelay: duration.default(5_000),
    timeout: duration.default(60_000).meta({ description: 'Time limit of a command handler.' }),
    concurrency: z.number().int().min(1).max(64).default(1).meta({
      description: 'Messages of one mailbox handled at the same time; 1 keeps arrival order.',
    }),
  })
  .strict();

/** Loop protection for automatic mail (RFC 3834). */
export const autoReplySchema = z
  .object({
    perCorrespondent: z.number().int().min(0).default(5).meta({
      description: 'Automatic replies per correspondent within the window (forwards and sends do not count).',
    }),
    window: duration.default(86_400_000),
    perRulePerHour: z.number().int().min(0).default(100).meta({
      description:
        'Automatic mails (replies, forwards, sends) one rule may cause per hour; beyond it they are skipped and journaled (storm guard).',
    }),
  })
  .strict();

/** OAuth2 for Exchange Online (SPEC S3, S4; docs/exchange-online.md): only the user name, no password. */
export const oauth2Schema = z
  .object({
    tenant: z
      .string()
      .min(1)
      .optional()
      .meta({ description: 'Tenant id or verified domain. Default "organizations".' }),
    clientId: nonEmpty('the application (client) id of the app registration'),
    flow: z.enum(['deviceCode', 'interactive', 'clientCredentials']).optional(),
    clientSecret: z.string().optional().meta({ description: 'App-only access: the client secret.' }),
    certificate: z
      .object({
        thumbprint: nonEmpty('the certificate thumbprint'),
        privateKeyFile: nonEmpty('the PEM file of the private key'),
      })
      .strict()
      .optional(),
    authority: z
      .string()
      .url()
      .optional()
      .meta({ description: 'For national clouds, e.g. https://login.microsoftonline.us/<tenant>.' }),
  })
  .strict();

/** One mailbox. */
export const mailboxSchema = z
  .object({
    id: z
      .string({ error: 'expected an id (letters, digits, ".", "_" or "-")' })
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'expected an id of letters, digits, ".", "_" or "-" (at most 64)'),
    service: z.enum(SERVICE_KINDS).default('imap'),
    server: z
      .string()
      .optional()
      .meta({ description: 'imap/pop3: host, IP address or URL (imaps://host:993, pop3s://host:995).' }),
    user: z.string().optional(),
    password: z.string().optional(),
    passwordFile: z.string().optional(),
    oauth2: oauth2Schema.optional(),
    profile: z.string().optional().meta({ description: 'MAPI profile name; empty = default profile (S2).' }),
    unreadOnly: z
      .boolean()
      .optional()
      .meta({ description: 'imap, mapi-*: only unread messages are candidates (S5). Default false; not for pop3.' }),
    startAt: z
      .string({ error: START_AT_EXPECTED })
      .refine((value) => parseStartAt(value) !== undefined, START_AT_EXPECTED)
      .default('all')
      .meta({
        description:
          'Which messages already in the mailbox the first pass handles: all (S5), new (only what arrives after the first start) or an ISO date / date-time (what arrived since). Default all.',
      }),
    folder: z
      .string()
      .min(1)
      .optional()
      .meta({ description: 'imap, mapi-extended: the folder to watch. Default INBOX; not for pop3 and mapi-simple.' }),
    saveSent: z.boolean().optional().meta({
      description: 'imap: keep a copy of every reply, forward and send in the Sent folder. Default true; only imap.',
    }),
    tlsCa: z.string().optional(),
    allowPlaintext: z.boolean().default(false),
    pollInterval: duration.default(60_000),
    connectTimeout: duration.optional().meta({
      description:
        'One deadline for opening a connection (TCP, TLS, greeting, login, folder) and for each check; also the deadline of the SMTP connection of the mailbox and of each send. Default 30 s; 120 s for mapi-* (Outlook may start first).',
    }),
    commandTimeout: duration.optional().meta({
      description:
        'pop3: a command fails when the server sends nothing for this long; mapi-*: the limit of one MAPI call. Default 60 s; not for imap.',
    }),
    safetyPoll: duration.optional().meta({
      description:
        'imap: check the server this often even while IDLE reports nothing, so a dead IDLE is noticed. Default 5 min; only imap.',
    }),
    completenessCheck: duration.default(10 * 60_000).meta({
      description:
        "How often the server's messages are compared with what the journal examined (also after every reconnect); a message missed is examined at once. Default 10 min; 0 turns it off.",
    }),
    missedAfter: duration.default(2 * 60_000).meta({
      description:
        'How long a message may be on the server, neither examined nor in flight, before the completeness check counts it as missed. Default 2 min.',
    }),
    maxBodyBytes: z.number().int().positive().optional().meta({
      description:
        'Attachment bytes kept in memory per message for a handler; larger parts are left out (the handler is told). Default 25 MiB.',
    }),
    bodyMatchBytes: z.number().int().positive().optional().meta({
      description:
        'How much of the text part `body:` rule conditions test (the first this many bytes of its UTF-8 text; IMAP fetches no more of it). Default 64 KiB.',
    }),
    addresses: z
      .array(z.string())
      .optional()
      .meta({ description: 'Our own addresses (never auto-answered). Default: user and smtp.from.' }),
    smtp: smtpSchema.optional(),
    canary: canarySchema.optional(),
    handler: handlerPolicySchema.prefault({}),
    autoReply: autoReplySchema.prefault({}),
    rules: z.array(z.unknown()).default([]).meta({ description: 'Rules, tried in order (docs/rules.md).' }),
  })
  .strict();

/** The HTTP endpoint: /healthz, /metrics, the status page. Off by default, loopback by default. */
export const httpSchema = z
  .object({
    enabled: z.boolean().default(false),
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65_535).default(8025),
    allowedHosts: z.array(z.string().min(1)).default([]).meta({
      description:
        'Host names answered besides the configured host and loopback names (other Host headers get 421, against DNS rebinding).',
    }),
    staleAfter: duration.default(15 * 60_000).meta({
      description: '/healthz fails for a mailbox that claims to be connected but completed no check for this long.',
    }),
  })
  .strict();

/** Checkpoints of the journal's projections (issue 16): how often a snapshot is written. */
export const checkpointSchema = z
  .object({
    everyEvents: z.number().int().positive().default(10_000).meta({
      description: 'Write a snapshot of the projections after this many journal events since the last one.',
    }),
    every: duration.default(10 * 60_000).meta({
      description: 'Write a snapshot this long after the last one when events came since (and on a clean stop).',
    }),
  })
  .strict();

/** The whole configuration file. */
export const configSchema = z
  .object({
    journal: z
      .union(
        [
          z.string(),
          z
            .object({
              path: z.string().default('./autopilot.db').meta({
                description: 'SQLite file (relative to the config file) or postgres:// URL of the journal.',
              }),
              retain: duration.optional().meta({
                description:
                  'Retention (issue 16): history of finished messages and lifecycle events older than this (e.g. "90d") is removed in the background, once a checkpoint covers it. Absent: kept forever.',
              }),
            })
            .strict(),
        ],
        {
          error: 'expected a SQLite file, a postgres:// URL, or { path, retain } with retain a duration such as "90d"',
        },
      )
      .default('./autopilot.db')
      .meta({
        description:
          'The journal: a SQLite file (relative to the config file) or postgres:// URL, or { path, retain } to bound its history.',
      }),
    tokenCache: z.string().optional().meta({
      description:
        'OAuth2 token cache shared by all mailboxes and processes (mode 0600). Default autopilot.tokens.json next to the config.',
    }),
    http: httpSchema.prefault({}),
    checkpoint: checkpointSchema.prefault({}),
    mailboxes: z.array(mailboxSchema).min(1, 'expected at least one mailbox'),
  })
  .strict();

/** The connection defaults every service shares (a key a service refuses keeps its default unused). */
const SHARED_DEFAULTS = {
  commandTimeout: 60_000,
  safetyPoll: 5 * 60_000,
  maxBodyBytes: MAX_BODY_BYTES,
  bodyMatchBytes: BODY_MATCH_BYTES,
} as const;

/**
 * The defaults that depend on the mailbox's service, applied by the loader (runtime/config/resolve.ts) after the
 * checks of {@link serviceIssues}.
 *
 * @example
 * ```ts
 * SERVICE_DEFAULTS.imap.saveSent; // true
 * ```
 */
export const SERVICE_DEFAULTS = {
  imap: { folder: 'INBOX', unreadOnly: false, saveSent: true, connectTimeout: 30_000, ...SHARED_DEFAULTS },
  // Fixed, not defaults: pop3 accepts none of folder/unreadOnly/saveSent (its maildrop is its one folder, S5).
  pop3: { folder: 'INBOX', unreadOnly: false, saveSent: false, connectTimeout: 30_000, ...SHARED_DEFAULTS },
  // MAPI has no saveSent; its connect starts the bridge child and logs on to a profile (Outlook may start): 120 s.
  'mapi-extended': { folder: 'INBOX', unreadOnly: false, saveSent: false, connectTimeout: 120_000, ...SHARED_DEFAULTS },
  'mapi-simple': { folder: 'INBOX', unreadOnly: false, saveSent: false, connectTimeout: 120_000, ...SHARED_DEFAULTS },
} as const satisfies Record<
  (typeof SERVICE_KINDS)[number],
  Record<'folder' | 'unreadOnly' | 'saveSent' | 'connectTimeout' | keyof typeof SHARED_DEFAULTS, unknown>
>;

/** How each service's `server:` is written (the adapters' own parsers, so validate and start agree). */
const SERVER_SYNTAX: Record<'imap' | 'pop3', (allowPlaintext: boolean) => ServerAddressOptions> = {
  imap: imapAddressOptions,
  pop3: pop3AddressOptions,
};

/**
 * A problem the schema finds in one mailbox beyond the shape of its keys: what each service accepts (S1, S2, S5) and
 * how its servers are written.
 *
 * @example
 * ```ts
 * const issue: ServiceIssue = { field: 'folder', message: 'POP3 has no folders' };
 * ```
 */
export interface ServiceIssue {
  /** Path inside the mailbox: `folder`, `smtp.server`. */
  readonly field: string;
  readonly message: string;
}

function serverIssue(field: string, value: string, options: ServerAddressOptions): ServiceIssue[] {
  try {
    parseServerAddress(value, options);
    return [];
  } catch (error) {
    // The parser may echo the value; a password someone put into the URL must not reach a message.
    return [{ field, message: (error as Error).message.replace(/\/\/[^/@\s"]*@/g, '//…@') }];
  }
}

/**
 * The service checks of one mailbox (the keys each service accepts, the server syntax per service, S1/S2/S5).
 * Checks needing the platform or mode (MAPI needs Windows, a profile in service mode) take them as arguments.
 *
 * @example
 * ```ts
 * serviceIssues(mailboxSchema.parse({ id: 'b', service: 'pop3', folder: 'Archive' }), { platform: 'linux', mode: 'app' });
 * // [{ field: 'folder', message: 'POP3 has no folders …' }, …]
 * ```
 */
export function serviceIssues(
  mailbox: ParsedMailbox,
  context: { readonly platform: NodeJS.Platform; readonly mode: 'app' | 'service' },
): ServiceIssue[] {
  const issues: ServiceIssue[] = [];
  const at = (field: string, message: string) => issues.push({ field, message });
  const service = mailbox.service;
  const isMapi = service === 'mapi-extended' || service === 'mapi-simple';
  if (isMapi) {
    if (context.platform !== 'win32') {
      at('service', `${service} needs Windows (MAPI exists only there, SPEC S1); this system is ${context.platform}`);
    }
    if (context.mode === 'service' && !mailbox.profile) {
      at(
        'profile',
        'a MAPI profile name is required when running as a service (SPEC S2); an empty name means the default profile only in an application',
      );
    }
    for (const key of ['server', 'user', 'password', 'passwordFile', 'oauth2', 'tlsCa', 'smtp'] as const) {
      if (mailbox[key] !== undefined) {
        at(key, `${service} logs on with its MAPI profile and sends through MAPI; remove ${key}`);
      }
    }
    if (mailbox.allowPlaintext) at('allowPlaintext', `${service} has no server connection of its own; remove it`);
    if (mailbox.canary) at('canary', `the canary needs an smtp transport (imap, pop3); ${service} has none`);
    if (service === 'mapi-simple' && mailbox.folder !== undefined && mailbox.folder.toUpperCase() !== 'INBOX') {
      at('folder', 'Simple MAPI sees only the Inbox (it has no folders); use mapi-extended for other folders');
    }
  } else {
    if (!mailbox.server) at('server', `expected the ${service.toUpperCase()} server: host name, IP address or URL`);
    else issues.push(...serverIssue('server', mailbox.server, SERVER_SYNTAX[service](mailbox.allowPlaintext)));
    if (!mailbox.user) at('user', 'expected the user name');
    if (mailbox.password === undefined && mailbox.passwordFile === undefined && !mailbox.oauth2) {
      at('password', 'expected a password or passwordFile, or oauth2 for Exchange Online (then no password)');
    }
    if (mailbox.password !== undefined && mailbox.passwordFile !== undefined) {
      at('passwordFile', 'give password or passwordFile, not both');
    }
    if (mailbox.oauth2 && (mailbox.password !== undefined || mailbox.passwordFile !== undefined)) {
      at('oauth2', 'OAuth2 replaces the password (SPEC S3): remove password/passwordFile');
    }
    if (mailbox.profile !== undefined) at('profile', `profile applies only to MAPI services, not ${service}`);
    if (mailbox.canary && !mailbox.smtp) at('canary', 'the canary is sent through the mailbox smtp: add smtp');
    if (mailbox.canary && !mailbox.canary.to && !mailbox.user)
      at('canary.to', 'expected an address to send the canary to');
    if (mailbox.smtp) {
      const smtp = mailbox.smtp;
      issues.push(
        ...serverIssue('smtp.server', smtp.server, { ...SMTP_ADDRESS_OPTIONS, allowPlaintext: smtp.allowPlaintext }),
      );
      if (smtp.password !== undefined && smtp.passwordFile !== undefined) {
        at('smtp.passwordFile', 'give password or passwordFile, not both');
      }
    }
  }
  if (service === 'pop3') {
    if (mailbox.unreadOnly !== undefined) {
      at(
        'unreadOnly',
        'POP3 always sees every message in the maildrop, so unreadOnly does not exist for pop3 (SPEC S5); remove it, and let a rule forward and delete what should not stay',
      );
    }
    if (mailbox.folder !== undefined) {
      at('folder', 'POP3 has no folders: a maildrop is a single inbox (SPEC S5); remove folder');
    }
  }
  if (service === 'imap' && mailbox.commandTimeout !== undefined) {
    at('commandTimeout', 'imap bounds each command by connectTimeout; remove commandTimeout');
  }
  if (service !== 'imap' && mailbox.safetyPoll !== undefined) {
    at('safetyPoll', `safetyPoll checks a dead IMAP IDLE; ${service} polls every pollInterval anyway, remove it`);
  }
  if (service !== 'imap' && mailbox.saveSent === true) {
    at('saveSent', `saveSent needs an IMAP Sent folder; ${service} has none, remove it`);
  }
  return issues;
}

/** The validated configuration, defaults applied, before paths are resolved. */
export type ParsedConfig = z.output<typeof configSchema>;
/** One validated mailbox. */
export type ParsedMailbox = z.output<typeof mailboxSchema>;

/**
 * The JSON Schema of the configuration file, for editor completion.
 *
 * @example
 * ```ts
 * writeFileSync('docs/config.schema.json', JSON.stringify(configJsonSchema(), null, 2));
 * ```
 */
export function configJsonSchema(): unknown {
  return z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' });
}
