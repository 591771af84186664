/**
 * The configuration's shape, defined once: validation, defaults, TypeScript types and the JSON Schema shipped for
 * editors (`docs/config.schema.json`) all come from these definitions. Defaults are documented here and in
 * docs/configuration.md.
 *
 * @module
 */
import { z } from 'zod';
import { parseDuration } from './duration.js';

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
    allowPlaintext: z.boolean().default(false),
    from: z.string().optional().meta({ description: 'Sender address of automatic mail. Default: the mailbox user.' }),
  })
  .strict();

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
    unreadOnly: z.boolean().optional().meta({ description: 'imap, mapi-*: only unread messages are candidates (S5).' }),
    folder: z.string().min(1).default('INBOX'),
    tlsCa: z.string().optional(),
    allowPlaintext: z.boolean().default(false),
    pollInterval: duration.default(60_000),
    addresses: z
      .array(z.string())
      .optional()
      .meta({ description: 'Our own addresses (never auto-answered). Default: user and smtp.from.' }),
    smtp: smtpSchema.optional(),
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
    allowedHosts: z.array(z.string()).default([]),
    staleAfter: duration.default(15 * 60_000).meta({
      description: '/healthz fails for a mailbox that claims to be connected but completed no check for this long.',
    }),
  })
  .strict();

/** The whole configuration file. */
export const configSchema = z
  .object({
    journal: z.string().default('./autopilot.db').meta({
      description: 'SQLite file (relative to the config file) or postgres:// URL of the journal.',
    }),
    tokenCache: z.string().optional().meta({
      description:
        'OAuth2 token cache shared by all mailboxes and processes (mode 0600). Default autopilot.tokens.json next to the config.',
    }),
    http: httpSchema.prefault({}),
    mailboxes: z.array(mailboxSchema).min(1, 'expected at least one mailbox'),
  })
  .strict();

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
