/**
 * Structured logs (pino): JSON lines for machines, readable lines on a terminal. Credentials, tokens and message
 * bodies are redacted wherever they appear in a log object.
 *
 * @module
 */
import { type Logger, pino } from 'pino';

/** Keys whose values never reach a log line, at any of the depths pino checks. */
const REDACT_PATHS = [
  'password',
  'pass',
  'accessToken',
  'refreshToken',
  'token',
  'clientSecret',
  'authorization',
  'body',
  'text',
  'html',
  'source',
  'raw',
  '*.password',
  '*.pass',
  '*.accessToken',
  '*.refreshToken',
  '*.token',
  '*.clientSecret',
  '*.authorization',
  '*.body',
  '*.text',
  '*.html',
  '*.source',
  '*.raw',
];

/**
 * Creates the process logger: JSON to stdout, pretty-printed when stdout is a terminal (or `pretty: true`).
 *
 * @example
 * ```ts
 * const logger = createLogger({ level: 'info' });
 * logger.info({ mailboxId: 'support' }, 'mailbox.connected');
 * ```
 */
export function createLogger(
  options: { level?: string; pretty?: boolean; destination?: NodeJS.WritableStream } = {},
): Logger {
  const pretty = options.pretty ?? (process.stdout.isTTY === true && !options.destination);
  const base = {
    level: options.level ?? process.env.MAIL_AUTOPILOT_LOG_LEVEL ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { pid: process.pid },
  };
  if (pretty) {
    return pino({
      ...base,
      transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss' } },
    });
  }
  return options.destination ? pino(base, options.destination as never) : pino(base);
}
