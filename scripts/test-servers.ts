/**
 * Starts the test mail servers of `scripts/harness/` by hand (docs/testing.md), prints how to reach them, and stops
 * them on Ctrl-C. Run with `npx tsx scripts/test-servers.ts [--users alice,bob | --users 3] [--distinct-uids]
 * [--no-smtp]`.
 */
import { parseArgs } from 'node:util';
import { startMailServers } from './harness/mail-servers.js';

const { values } = parseArgs({
  options: {
    users: { type: 'string' },
    'distinct-uids': { type: 'boolean', default: false },
    'no-smtp': { type: 'boolean', default: false },
  },
});
const users =
  values.users === undefined ? undefined : /^\d+$/.test(values.users) ? Number(values.users) : values.users.split(',');

const servers = await startMailServers({
  ...(users !== undefined ? { users } : {}),
  distinctUids: values['distinct-uids'],
  smtp: !values['no-smtp'],
});

const { host, ports } = servers;
console.log(`Test mail servers on ${host} (directory ${servers.dir})
  IMAP  ${ports.imap} (STARTTLS)    IMAPS ${ports.imaps}
  POP3  ${ports.pop3} (STLS)        POP3S ${ports.pop3s}
  LMTP  ${ports.lmtp}${ports.smtp ? `\n  SMTP  ${ports.smtp} (STARTTLS, AUTH)  SMTPS ${ports.smtps}` : ''}
CA file:       ${servers.caFile}
Wrong CA file: ${servers.wrongCaFile}
Dovecot log:   ${servers.dovecotLog}
Users (user / password / uid):
${servers.users.map((u) => `  ${u.user} / ${u.password} / ${u.uid}`).join('\n')}
Try: openssl s_client -quiet -connect ${host}:${ports.imaps} -CAfile ${servers.caFile}
     then: a LOGIN ${servers.users[0]?.user} ${servers.users[0]?.password}
Press Ctrl-C to stop.`);

let stopping = false;
const shutdown = (): void => {
  if (stopping) return;
  stopping = true;
  servers.stop().then(
    () => {
      console.log('stopped');
      process.exit(0);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
// Dovecot and the SMTP server do not keep this process alive by themselves.
setInterval(() => undefined, 60_000);
