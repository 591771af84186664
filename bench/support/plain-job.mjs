// The peer of the whole-job bench (bench/job.ts): "mark the invoices read" as a 12-line imapflow script would do it —
// fetch every envelope, one UID STORE for the hits. Arguments: port, user, password, CA file.
import { readFileSync } from 'node:fs';
import { ImapFlow } from 'imapflow';

const [port, user, pass, caFile] = process.argv.slice(2);
const client = new ImapFlow({
  host: '127.0.0.1',
  port: Number(port),
  secure: true,
  auth: { user, pass },
  tls: { ca: [readFileSync(caFile)] },
  logger: false,
});
await client.connect();
await client.mailboxOpen('INBOX');
const hits = [];
for await (const m of client.fetch('1:*', { uid: true, envelope: true }))
  if (/invoice/.test(m.envelope?.subject ?? '')) hits.push(m.uid);
if (hits.length > 0) await client.messageFlagsAdd(hits.join(','), ['\\Seen'], { uid: true });
await client.logout();
process.stdout.write(`${hits.length}\n`);
