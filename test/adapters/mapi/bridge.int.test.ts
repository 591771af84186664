/**
 * The bridge process for real: the fakes run inside the bridge child, so deadlines, kills, crashes and COM errors
 * cross the process boundary as they would on Windows (issue 8, point 4).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { MailSession } from '../../../adapters/contract.js';
import { isMailServiceError, type MailServiceError } from '../../../adapters/errors.js';
import { BridgeProcess } from '../../../adapters/mapi/bridge-client.js';
import { HRESULT, SIMPLE_MAPI } from '../../../adapters/mapi/errors.js';
import type { MapiSession } from '../../../adapters/mapi/session.js';
import { type FakeMapiMailbox, fakeMapiMailbox, firstPass, processAlive } from './fixtures.js';

const boxes: FakeMapiMailbox[] = [];
const sessions: MailSession[] = [];

function box(flavour: 'extended' | 'simple', config: Parameters<typeof fakeMapiMailbox>[1] = {}): FakeMapiMailbox {
  const made = fakeMapiMailbox(flavour, config);
  boxes.push(made);
  return made;
}

async function connect(mailbox: FakeMapiMailbox, overrides: Parameters<FakeMapiMailbox['service']>[0] = {}) {
  const session = (await mailbox.service(overrides).connect(new AbortController().signal)) as MapiSession;
  sessions.push(session);
  return session;
}

async function failureOf(promise: Promise<unknown>): Promise<MailServiceError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(isMailServiceError(error)).toBe(true);
  return error as MailServiceError;
}

async function eventually(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

afterEach(async () => {
  await Promise.allSettled(sessions.splice(0).map((s) => s.close()));
  for (const made of boxes.splice(0)) made.dispose();
});

describe('MAPI bridge: deadlines and crashes', () => {
  it('a call that hangs ends in BRIDGE_TIMEOUT (retryable), the child is killed, and the next connect starts a new one', async () => {
    const mailbox = box('extended');
    mailbox.store.deliver('Inbox', { subject: 'x' });
    const session = await connect(mailbox, { callTimeoutMs: 1_000, unreadOnly: true });
    const pid = session.bridge.pid;
    mailbox.store.addFault({ op: 'Items.Restrict', action: 'hang', times: 1 });
    const error = await failureOf(firstPass(session));
    expect(error.code).toBe('BRIDGE_TIMEOUT');
    expect(error.retryable).toBe(true);
    await eventually(() => !processAlive(pid), 'the hung bridge process is gone');
    const again = await connect(mailbox, { callTimeoutMs: 5_000, unreadOnly: true });
    expect(again.bridge.pid).not.toBe(pid);
    expect((await firstPass(again)).map((m) => m.envelope.subject)).toEqual(['x']);
  });

  it('a child that dies in a call ends in BRIDGE_CRASHED (retryable)', async () => {
    const mailbox = box('simple');
    mailbox.store.deliver('Inbox', { subject: 'x' });
    const session = await connect(mailbox);
    mailbox.store.addFault({ op: 'MAPIFindNext', action: 'crash', times: 1 });
    const error = await failureOf(firstPass(session));
    expect(error.code).toBe('BRIDGE_CRASHED');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('SIGKILL');
  });

  it('an action after the bridge died is a typed error, not a hang', async () => {
    const mailbox = box('simple');
    const session = await connect(mailbox);
    session.bridge.kill();
    await session.bridge.exited();
    const error = await failureOf(
      session.markRead({
        identity: { mailboxId: 'x', key: 'simple-mapi:00', messageId: null },
        ref: '00',
        flags: [],
        size: 0,
        envelope: { subject: '', from: [], to: [], cc: [], replyTo: [], date: null, messageId: null, inReplyTo: null },
        headers: new Map(),
      }),
    );
    expect(error.retryable).toBe(true);
  });

  it('a security prompt nobody answers (Outlook Object Model Guard) ends in BRIDGE_TIMEOUT, not a hung service', async () => {
    const mailbox = box('extended', { guard: 'prompt' });
    mailbox.store.deliver('Inbox', { subject: 'x' });
    const session = await connect(mailbox, { callTimeoutMs: 1_000 });
    const error = await failureOf(firstPass(session));
    expect(error.code).toBe('BRIDGE_TIMEOUT');
    expect(mailbox.store.events().some((e) => e.event === 'security-prompt')).toBe(true);
  });

  it('without a fake, off Windows, the child reports MAPI_UNAVAILABLE (SPEC S1)', async () => {
    if (process.platform === 'win32') return;
    const error = await failureOf(
      BridgeProcess.start(
        { flavour: 'simple', mailboxId: 'a', where: 'Simple MAPI' },
        new AbortController().signal,
        20_000,
      ),
    );
    expect(error.code).toBe('MAPI_UNAVAILABLE');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('needs Windows');
  });
});

describe('MAPI errors through the bridge', () => {
  it('COM "server busy" (RPC_E_SERVERCALL_RETRYLATER) is MAPI_BUSY and retryable', async () => {
    const mailbox = box('extended');
    mailbox.store.deliver('Inbox', { subject: 'x' });
    const session = await connect(mailbox);
    mailbox.store.addFault({
      op: 'Items.Count',
      action: 'com',
      hresult: HRESULT.RPC_E_SERVERCALL_RETRYLATER,
      times: 1,
    });
    const error = await failureOf(firstPass(session));
    expect(error.code).toBe('MAPI_BUSY');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('0x8001010A');
  });

  it('MAPI_E_BUSY raised by the store (DISP_E_EXCEPTION + scode) is MAPI_BUSY and retryable', async () => {
    const mailbox = box('extended');
    mailbox.store.deliver('Inbox', { subject: 'x' });
    const session = await connect(mailbox);
    mailbox.store.addFault({ op: 'Items.Item', action: 'com', scode: HRESULT.MAPI_E_BUSY, times: 1 });
    const error = await failureOf(firstPass(session));
    expect(error.code).toBe('MAPI_BUSY');
    expect(error.retryable).toBe(true);
  });

  it('an unknown profile is MAPI_LOGON_FAILED, not retryable (both flavours)', async () => {
    for (const flavour of ['extended', 'simple'] as const) {
      const mailbox = box(flavour, { profiles: ['Outlook'] });
      const error = await failureOf(mailbox.service({ profile: 'Nobody' }).connect(new AbortController().signal));
      expect(error.code).toBe('MAPI_LOGON_FAILED');
      expect(error.retryable).toBe(false);
    }
  });

  it('Simple MAPI busy sessions (MAPI_E_TOO_MANY_SESSIONS) are retryable', async () => {
    const mailbox = box('simple');
    mailbox.store.addFault({ op: 'MAPILogon', action: 'mapi', code: SIMPLE_MAPI.MAPI_E_TOO_MANY_SESSIONS, times: 1 });
    const error = await failureOf(mailbox.service().connect(new AbortController().signal));
    expect(error.code).toBe('MAPI_BUSY');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('MAPI_E_TOO_MANY_SESSIONS');
  });

  it('a folder that does not exist is FOLDER_NOT_FOUND, not retryable', async () => {
    const mailbox = box('extended');
    const error = await failureOf(mailbox.service({ folder: 'Nope' }).connect(new AbortController().signal));
    expect(error.code).toBe('FOLDER_NOT_FOUND');
    expect(error.retryable).toBe(false);
  });

  it('Outlook already running with another profile is MAPI_LOGON_FAILED naming both', async () => {
    const mailbox = box('extended', { profiles: ['Outlook', 'Support'], running: 'Outlook' });
    const error = await failureOf(mailbox.service({ profile: 'Support' }).connect(new AbortController().signal));
    expect(error.code).toBe('MAPI_LOGON_FAILED');
    expect(error.message).toContain('"Outlook"');
    expect(error.message).toContain('"Support"');
  });
});

describe('service mode: no logon UI, ever (SPEC S2)', () => {
  it('Outlook: Logon with ShowDialog false; an empty profile logs on to the default profile', async () => {
    const mailbox = box('extended', { profiles: ['Main', 'Other'], defaultProfile: 'Main' });
    await firstPass(await connect(mailbox, { profile: '' }));
    const logons = mailbox.store.events().filter((e) => e.event === 'logon');
    expect(logons).toHaveLength(1);
    expect(logons[0]).toMatchObject({ profile: '', showDialog: false });
    expect(mailbox.store.events().some((e) => e.event === 'dialog')).toBe(false);
  });

  it('Simple MAPI: MAPILogon never carries MAPI_LOGON_UI; sending never carries MAPI_DIALOG', async () => {
    const mailbox = box('simple', { profiles: ['Main'], defaultProfile: 'Main' });
    const service = mailbox.service({ profile: 'Main' });
    await firstPass(await connect(mailbox, { profile: 'Main' }));
    await service.send({ from: 'a@example.test', to: 'b@example.test', subject: 's', text: 't' });
    const events = mailbox.store.events();
    const logons = events.filter((e) => e.event === 'logon');
    expect(logons.length).toBeGreaterThan(0);
    for (const logon of logons) expect((logon.flags as number) & 0x0001).toBe(0);
    for (const send of events.filter((e) => e.event === 'send')) expect((send.flags as number) & 0x0008).toBe(0);
    expect(events.some((e) => e.event === 'dialog')).toBe(false);
  });
});
