// A command handler for bounces: the raw message arrives on stdin, its metadata in MAIL_AUTOPILOT_* variables.
// Exit code 0 means handled; anything else is a failure (retried, then dead-lettered).
// Handlers are at-least-once: after a crash a run may repeat, so use MAIL_AUTOPILOT_IDEMPOTENCY_KEY to notice it.
import { appendFileSync } from 'node:fs';

let raw = '';
for await (const chunk of process.stdin) raw += chunk;
const failed = /^Final-Recipient:\s*rfc822;\s*(\S+)/im.exec(raw)?.[1] ?? 'unknown';
appendFileSync(
  'bounces.log',
  `${new Date().toISOString()} ${process.env.MAIL_AUTOPILOT_IDEMPOTENCY_KEY} ${failed} ${process.env.MAIL_AUTOPILOT_SUBJECT}\n`,
);
