// A command handler for web-form mails ("Contact form: …"): reads the form fields from the body and files a ticket
// as JSON in tickets/ (next to the config: handlers run in the config file's directory).
//
// The raw message arrives on stdin, its metadata in MAIL_AUTOPILOT_* variables. Exit code 0 means handled; anything
// else is a failure (retried, then dead-lettered), so a form without an e-mail address exits 2 with the reason on
// stderr (the journal keeps the last line).
//
// Handlers are at-least-once: after a crash a run may repeat. The ticket file is named by
// MAIL_AUTOPILOT_IDEMPOTENCY_KEY, so a repeat rewrites the same ticket instead of opening a second one.
//
// The body this expects (what a typical PHP contact form sends, quoted-printable or plain):
//   Name: Carol Müller
//   Email: carol@example.test
//   Topic: Delivery
//   Message:
//   free text until the end
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
// latin1 keeps every byte as one character until the transfer encoding is undone.
const raw = Buffer.concat(chunks).toString('latin1');
const split = raw.search(/\r?\n\r?\n/);
const head = (split < 0 ? raw : raw.slice(0, split)).replace(/\r?\n[ \t]+/g, ' ');
const header = (name) => new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(head)?.[1]?.trim() ?? '';
let body = split < 0 ? '' : raw.slice(split).replace(/^\r?\n\r?\n/, '');

if (/^multipart\//i.test(header('Content-Type'))) {
  // Keep the example short: a form mail is a single text part. Say so instead of guessing.
  process.stderr.write('contact-form.js expects a single text/plain part, got multipart\n');
  process.exit(2);
}
const encoding = header('Content-Transfer-Encoding').toLowerCase();
if (encoding === 'quoted-printable') {
  body = body
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-Fa-f]{2})/g, (_, hex) => String.fromCharCode(Number.parseInt(hex, 16)));
} else if (encoding === 'base64') {
  body = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('latin1');
}
const text = Buffer.from(body, 'latin1').toString('utf8').replace(/\r\n/g, '\n');

// "Key: value" lines; "Message:" starts the free text, which runs to the end.
const fields = {};
let message = '';
const lines = text.split('\n');
for (let i = 0; i < lines.length; i++) {
  // A field name is one to three words ("Order number"); a sentence with a URL in it is not a field.
  const field = /^([A-Za-z]+(?: [A-Za-z]+){0,2}):[ \t]*(.*)$/.exec(lines[i]);
  if (!field) continue;
  const key = field[1]
    .trim()
    .toLowerCase()
    .replace(/ ([a-z])/g, (_, c) => c.toUpperCase());
  if (key === 'message') {
    message = [field[2], ...lines.slice(i + 1)].join('\n').trim();
    break;
  }
  fields[key] = field[2].trim();
}
if (!/^[^\s@]+@[^\s@]+$/.test(fields.email ?? '')) {
  process.stderr.write(`the form has no valid Email field (got ${JSON.stringify(fields.email ?? null)})\n`);
  process.exit(2);
}

const key = process.env.MAIL_AUTOPILOT_IDEMPOTENCY_KEY;
const ticket = {
  ticket: `T-${key.slice(0, 8).toUpperCase()}`,
  createdAt: new Date().toISOString(),
  source: {
    mailbox: process.env.MAIL_AUTOPILOT_MAILBOX,
    messageId: process.env.MAIL_AUTOPILOT_MESSAGE_ID,
    subject: process.env.MAIL_AUTOPILOT_SUBJECT,
  },
  ...fields,
  message,
};
mkdirSync('tickets', { recursive: true });
const file = join('tickets', `${key}.json`);
// Write, then rename: a reader never sees half a ticket.
writeFileSync(`${file}.tmp`, `${JSON.stringify(ticket, null, 2)}\n`);
renameSync(`${file}.tmp`, file);
process.stdout.write(`${ticket.ticket} ${fields.email}\n`);
