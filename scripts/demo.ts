/**
 * `npm run demo` (issue 6, docs/demo.md): installs Dovecot if it is missing (as root, from Debian's packages),
 * starts a local Dovecot and an SMTP server on 127.0.0.1, runs `mail-autopilot run` with docs/examples/demo.yaml,
 * delivers four realistic mails (a bounce, a newsletter confirmation, a web-form mail, an out-of-office auto-reply),
 * and prints what each rule did, as the journal tells it and as the servers show it. Then it stops everything.
 *
 * Exit codes: 0 every demo mail reached its expected end; 1 one did not, or something failed; 2 Dovecot or openssl
 * is missing and could not be installed from here; 64 an unknown option; 130 interrupted (Ctrl-C).
 *
 * Options: `--keep` keeps the servers and the autopilot running after the report until Ctrl-C (to look around with
 * a mail client); `--help`.
 *
 * @module
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig } from '../runtime/config/load.js';
import { isMessageEvent } from '../runtime/journal/events.js';
import { parseRules } from '../runtime/rules/parse-rules.js';
import { type AutopilotRun, startAutopilot } from './demo/autopilot-run.js';
import { keepRunningHelp, whereToLook } from './demo/guide.js';
import { ensurePrerequisites, PrerequisiteError } from './demo/install.js';
import { JournalWatch } from './demo/journal-watch.js';
import { DEMO_USERS, demoMails } from './demo/mails.js';
import { type FileView, hasEnded, reportMail } from './demo/report.js';
import { type ServerView, viewMailbox } from './demo/servers-view.js';
import { probeStatusPage } from './demo/status-page.js';
import { prepareWorkspace } from './demo/workspace.js';
import { freePorts } from './harness/free-ports.js';
import { type MailServers, startMailServers } from './harness/mail-servers.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const EXIT = { OK: 0, FAILED: 1, SETUP: 2, INTERRUPTED: 130 } as const;
/** Bounds of the waits (the mails take about a second on a quiet machine; the bounds are for a loaded one). */
const CONNECT_TIMEOUT_MS = 30_000;
const HANDLED_TIMEOUT_MS = 60_000;
const STATUS_PAGE_TIMEOUT_MS = 10_000;

const HELP = `Usage: npm run demo [-- --keep]

Starts a local Dovecot and SMTP server on 127.0.0.1 (installing Dovecot first if it is
missing and you are root), runs the autopilot with docs/examples/demo.yaml on four
realistic mails, prints what each rule did, and stops everything. See docs/demo.md.

Options:
  --keep      keep the servers and the autopilot running after the report, until Ctrl-C
  -h, --help  show this help

Exit codes: 0 every mail reached its expected end, 1 not, 2 Dovecot missing, 130 Ctrl-C.
`;

const say = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};

let interrupted = false;
process.on('SIGINT', () => {
  interrupted = true;
});
process.on('SIGTERM', () => {
  interrupted = true;
});
const giveUp = (run: AutopilotRun) => (): string | undefined => {
  if (interrupted) return 'interrupted';
  if (run.ended) return `the autopilot ended on its own: ${run.output.join('').trim() || 'no output'}`;
  return undefined;
};

/** The files the handlers wrote: bounces.log and tickets/*, by path relative to the working directory. */
function handlerFiles(dir: string): FileView {
  const files: Record<string, string> = {};
  const read = (path: string) => {
    try {
      files[path] = readFileSync(join(dir, path), 'utf8');
    } catch {
      // not written: the report says so
    }
  };
  read('bounces.log');
  let tickets: string[] = [];
  try {
    tickets = readdirSync(join(dir, 'tickets')).filter((name) => name.endsWith('.json'));
  } catch {
    // no tickets directory: the report says so
  }
  for (const name of tickets) read(`tickets/${name}`);
  return files;
}

async function lookAtServers(servers: MailServers): Promise<ServerView> {
  const target = { port: servers.ports.imaps, ca: readFileSync(servers.caFile) };
  const mailboxes: Record<string, Awaited<ReturnType<typeof viewMailbox>>> = {};
  for (const user of servers.users) {
    // The watched mailbox in every folder; the correspondents where replies arrive.
    const folders = user.user === DEMO_USERS.support ? undefined : ['INBOX'];
    mailboxes[user.user] = await viewMailbox(target, user, folders);
  }
  return { mailboxes, smtpRecipients: servers.smtpReceived.flatMap((m) => m.rcptTo.map((r) => r.toLowerCase())) };
}

/** Stopping the servers removes Dovecot's log with their directory: keep a copy next to the journal. */
function keepDovecotLog(servers: MailServers, dir: string): void {
  try {
    copyFileSync(servers.dovecotLog, join(dir, 'dovecot.log'));
    process.stderr.write(`Dovecot's log: ${join(dir, 'dovecot.log')}\n`);
  } catch {
    // no log written: nothing to keep
  }
}

function dovecotVersion(dovecot: string): string {
  try {
    return `Dovecot ${execFileSync(dovecot, ['--version'], { encoding: 'utf8' }).trim().split(' ')[0]}`;
  } catch {
    return 'Dovecot';
  }
}

async function waitForCtrlC(): Promise<void> {
  while (!interrupted) await new Promise((resolve) => setTimeout(resolve, 200));
}

async function main(args: readonly string[]): Promise<number> {
  let keep = false;
  try {
    const { values } = parseArgs({
      args: [...args],
      options: { keep: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help) {
      say(HELP);
      return EXIT.OK;
    }
    keep = values.keep === true;
  } catch (error) {
    process.stderr.write(`demo: ${(error as Error).message}\n\n${HELP}`);
    return 64;
  }

  say('mail-autopilot demo');
  say('  A local Dovecot and SMTP server on 127.0.0.1, one watched mailbox (support@example.test), four');
  say('  realistic mails, and `mail-autopilot run` with docs/examples/demo.yaml. See docs/demo.md.');
  say();

  say('1. Mail servers');
  let dovecot: string;
  try {
    dovecot = ensurePrerequisites((line) => say(`   ${line}`)).dovecot!;
  } catch (error) {
    if (!(error instanceof PrerequisiteError)) throw error;
    process.stderr.write(`\ndemo: ${error.message}\n`);
    return EXIT.SETUP;
  }
  // Debian installs dovecot in /usr/sbin, which a normal user's PATH lacks; the harness starts it by name.
  const path = process.env.PATH ?? '';
  if (!path.split(':').includes(dirname(dovecot))) process.env.PATH = `${dirname(dovecot)}:${path}`;
  say(`   ${dovecotVersion(dovecot)} (${dovecot})`);

  let servers: MailServers;
  try {
    servers = await startMailServers({ users: Object.values(DEMO_USERS) });
  } catch (error) {
    process.stderr.write(`\ndemo: could not start the local mail servers: ${(error as Error).message}\n`);
    return EXIT.FAILED;
  }
  let run: AutopilotRun | undefined;
  let watch: JournalWatch | undefined;
  let exitCode: number = EXIT.FAILED;
  let workDir: string | undefined;
  try {
    say(`   started on 127.0.0.1: IMAPS port ${servers.ports.imaps}, SMTP port ${servers.ports.smtp} (STARTTLS),`);
    say(`   with the users ${servers.users.map((u) => u.user).join(', ')}`);
    say();

    say('2. Autopilot');
    const [httpPort] = await freePorts(1);
    const workspace = prepareWorkspace({
      exampleConfig: join(ROOT, 'docs/examples/demo.yaml'),
      handlersDir: join(ROOT, 'docs/examples/handlers'),
      caFile: servers.caFile,
      ports: servers.ports,
      httpPort,
    });
    workDir = workspace.dir;
    const support = servers.user(DEMO_USERS.support);
    const env = { ...process.env, SUPPORT_PASSWORD: support.password };
    const config = loadConfig(workspace.configFile, { env });
    const rules = parseRules(config.mailboxes[0]?.rules, 'support');
    say(`   working directory  ${workspace.dir} (kept after the demo)`);
    say(
      "   config             demo.yaml: docs/examples/demo.yaml with this run's ports; password from SUPPORT_PASSWORD",
    );
    say(`   rules              ${rules.map((r) => r.name).join(', ')}`);
    // Opened before the autopilot starts, so both connections find the file's tables in place.
    watch = new JournalWatch(config.journal);
    say(`   $ mail-autopilot run --config ${workspace.configFile}`);
    say("     (in this process, through the CLI's own entry point; logs go to autopilot.log)");
    run = startAutopilot({ configFile: workspace.configFile, logFile: workspace.logFile, env });
    const connected = await watch.until(
      'mailbox support to connect',
      (events) => {
        const last = events.findLast((e) => e.mailboxId === 'support' && e.type.startsWith('mailbox.'));
        if (last?.type === 'mailbox.connected') return { ok: true as const };
        if (last?.type === 'mailbox.backoff' || last?.type === 'mailbox.stopped') {
          return { ok: false as const, why: `${last.type}: ${last.error?.code}: ${last.error?.message}` };
        }
        return undefined;
      },
      { timeoutMs: CONNECT_TIMEOUT_MS, giveUp: giveUp(run) },
    );
    if (!connected.ok) throw new Error(`mailbox support could not connect (${connected.why})`);
    say('   mailbox support is connected and watching INBOX (journal: mailbox.connected)');
    // The page is the config's (`http:`); checked here so that the URL printed below is one that answers.
    const statusPage = config.http.enabled ? `http://${config.http.host}:${config.http.port}/` : undefined;
    const probe = statusPage === undefined ? undefined : await probeStatusPage(statusPage, STATUS_PAGE_TIMEOUT_MS);
    if (probe?.ok) say(`   status page ${statusPage} answers (/healthz: ${probe.healthStatus} ${probe.health})`);
    else if (probe) say(`   ✗ status page: ${probe.reason}`);
    say();

    const mails = demoMails(new Date());
    say(`3. Delivering ${mails.length} mails to ${DEMO_USERS.support} (LMTP, as a mail server hands them over)`);
    const started = Date.now();
    for (const mail of mails) {
      await servers.deliver(DEMO_USERS.support, mail.raw);
      say(`   → "${mail.subject}" from ${mail.from}`);
    }
    try {
      await watch.until(
        'every demo mail to reach an end in the journal',
        (events) => (mails.every((mail) => hasEnded(events, mail.messageId)) ? true : undefined),
        { timeoutMs: HANDLED_TIMEOUT_MS, giveUp: giveUp(run) },
      );
      say(`   the journal shows every mail at an end after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    } catch (error) {
      if (interrupted || run.ended) throw error;
      // Report anyway: the report below shows how far each mail got.
      say(`   ✗ ${(error as Error).message}`);
    }
    say();

    say('4. What each rule did (from the journal), and what the servers show');
    const view = await lookAtServers(servers);
    const files = handlerFiles(workspace.dir);
    let passed = 0;
    for (const [i, mail] of mails.entries()) {
      const verdict = reportMail({
        mail,
        position: i + 1,
        total: mails.length,
        events: watch.events,
        rules,
        view,
        files,
        watched: DEMO_USERS.support,
      });
      for (const line of verdict.lines) say(`   ${line}`);
      say();
      if (verdict.ok) passed++;
    }

    for (const line of whereToLook({
      dir: workspace.dir,
      configFile: workspace.configFile,
      journal: config.journal,
      logFile: workspace.logFile,
      statusPage,
      password: support.password,
      events: watch.events.length,
      messageEvents: watch.events.filter(isMessageEvent).length,
    })) {
      say(line);
    }
    say();

    if (keep && !interrupted) {
      const help = keepRunningHelp({
        imapsPort: servers.ports.imaps,
        smtpPort: servers.ports.smtp,
        caFile: join(workspace.dir, 'ca.pem'),
        watched: support,
        sender: servers.user(DEMO_USERS.subscriber),
        statusPage,
      });
      for (const line of help) say(line);
      await waitForCtrlC();
      interrupted = false; // the Ctrl-C was the expected end of --keep, not a failure
      say();
    }

    say('6. Stopping');
    const code = await run.stop();
    say(`   autopilot stopped (SIGTERM; exit code ${code})`);
    const ok = passed === mails.length && code === 0 && probe?.ok !== false;
    if (probe && !probe.ok) say(`   ✗ the status page did not answer: ${probe.reason}`);
    say();
    say(`Result: ${passed} of ${mails.length} demo mails reached the expected end.`);
    exitCode = ok ? EXIT.OK : EXIT.FAILED;
  } catch (error) {
    process.stderr.write(`\ndemo: ${(error as Error).message}\n`);
    if (run?.output.length) process.stderr.write(`mail-autopilot said:\n${run.output.join('')}`);
    exitCode = interrupted ? EXIT.INTERRUPTED : EXIT.FAILED;
  } finally {
    if (exitCode !== EXIT.OK && workDir) keepDovecotLog(servers, workDir);
    await run?.stop();
    await watch?.close();
    await servers.stop();
    say('Mail servers stopped.');
  }
  return exitCode;
}

process.exitCode = await main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`demo: ${(error as Error).stack ?? String(error)}\n`);
  return EXIT.FAILED;
});
