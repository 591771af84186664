/**
 * The child-side drivers against the fakes, in this process (no bridge), and the fakes' own documented behaviour
 * the drivers depend on. Uses the fake store on disk, hence the int tier.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HRESULT, SIMPLE_MAPI } from '../../../adapters/mapi/errors.js';
import { createOutlookDriver } from '../../../adapters/mapi-extended/driver.js';
import type { OutlookApplication } from '../../../adapters/mapi-extended/outlook-types.js';
import { MAPI } from '../../../adapters/mapi-simple/api.js';
import { createSimpleMapiDriver } from '../../../adapters/mapi-simple/driver.js';
import { FakeMailStore } from './fakes/fake-store.js';
import { createOutlookApplication } from './fakes/outlook-fake.js';
import { createSimpleMapi } from './fakes/simple-mapi-fake.js';

const dirs: string[] = [];

function store(config: Parameters<typeof FakeMailStore.create>[1] = {}): FakeMailStore {
  const dir = mkdtempSync(join(tmpdir(), 'mapi-driver-'));
  dirs.push(dir);
  return FakeMailStore.create(dir, config);
}

function outlook(s: FakeMailStore) {
  return createOutlookDriver(() => createOutlookApplication(s.root) as unknown as OutlookApplication);
}

function comCodeOf(run: () => unknown): number | null {
  try {
    run();
    return null;
  } catch (error) {
    const like = error as { code?: number; errno?: number };
    return ((like.code ?? like.errno) as number) >>> 0;
  }
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('Outlook object model fake (documented behaviour)', () => {
  it('collections are 1-based: Item(0) and Item(Count + 1) raise DISP_E_BADINDEX', () => {
    const s = store();
    s.deliver('Inbox', { subject: 'a' });
    const ns = createOutlookApplication(s.root).GetNamespace('MAPI');
    ns.Logon('', '', false, false);
    const items = ns.GetDefaultFolder(6).Items;
    expect(items.Count).toBe(1);
    expect(items.Item(1).Subject).toBe('a');
    expect(comCodeOf(() => items.Item(0))).toBe(HRESULT.DISP_E_BADINDEX);
    expect(comCodeOf(() => items.Item(2))).toBe(HRESULT.DISP_E_BADINDEX);
  });

  it('a Restrict result is live: walking it forward while marking read skips items (why the driver collects first)', () => {
    const s = store();
    for (const subject of ['a', 'b', 'c', 'd']) s.deliver('Inbox', { subject });
    const ns = createOutlookApplication(s.root).GetNamespace('MAPI');
    ns.Logon('', '', false, false);
    const unread = ns.GetDefaultFolder(6).Items.Restrict('[UnRead] = True');
    let handled = 0;
    for (let i = 1; i <= unread.Count; i += 1) {
      const item = unread.Item(i);
      item.UnRead = false;
      item.Save();
      handled += 1;
    }
    expect(handled).toBe(2);
    expect(unread.Count).toBe(2);
  });

  it('Move returns the item with a new EntryID; the old one no longer resolves; the search key stays', () => {
    const s = store();
    const original = s.deliver('Inbox', { subject: 'm' });
    const ns = createOutlookApplication(s.root).GetNamespace('MAPI');
    ns.Logon('', '', false, false);
    const inbox = ns.GetDefaultFolder(6);
    const target = inbox.Folders.Add('Done');
    const moved = ns.GetItemFromID(original.entryId).Move(target);
    expect(moved.EntryID).not.toBe(original.entryId);
    expect(comCodeOf(() => ns.GetItemFromID(original.entryId))).toBe(HRESULT.MAPI_E_NOT_FOUND);
    const key = (item: typeof moved) =>
      item.PropertyAccessor.BinaryToString(
        item.PropertyAccessor.GetProperty('http://schemas.microsoft.com/mapi/proptag/0x300B0102'),
      );
    expect(key(moved)).toBe(original.searchKey);
  });

  it('UnRead changes persist only with Save', () => {
    const s = store();
    const m = s.deliver('Inbox', { subject: 'x' });
    const ns = createOutlookApplication(s.root).GetNamespace('MAPI');
    ns.Logon('', '', false, false);
    ns.GetItemFromID(m.entryId).UnRead = false;
    expect(s.find(m.entryId)?.message.unread).toBe(true);
  });
});

describe('Extended MAPI driver', () => {
  it('keys messages by PR_SEARCH_KEY: the same key after a move, with a new ref', () => {
    const s = store();
    const m = s.deliver('Inbox', { subject: 'x', internetMessageId: '<x@y>' });
    const driver = outlook(s);
    driver.handle('logon', { profile: '', folder: 'INBOX' });
    const [before] = driver.handle('list', { unreadOnly: false });
    expect(before).toMatchObject({ ref: m.entryId, key: `outlook:sk:${m.searchKey}`, messageId: '<x@y>' });
    const { ref } = driver.handle('move', { ref: m.entryId, folder: 'Archive/2024' });
    expect(ref).not.toBe(m.entryId);
    const archived = outlook(s);
    archived.handle('logon', { profile: '', folder: 'Archive/2024' });
    expect(archived.handle('list', { unreadOnly: false })).toEqual([{ ...before, ref }]);
  });

  it('lists every unread message even when they are marked read right after (collects before acting)', () => {
    const s = store();
    for (const subject of ['a', 'b', 'c', 'd']) s.deliver('Inbox', { subject });
    const driver = outlook(s);
    driver.handle('logon', { profile: '', folder: 'INBOX' });
    const entries = driver.handle('list', { unreadOnly: true });
    for (const entry of entries) driver.handle('markRead', { ref: entry.ref });
    expect(entries).toHaveLength(4);
    expect(s.messages('Inbox').every((m) => !m.unread)).toBe(true);
  });

  it('lists in arrival order (Items has no order of its own)', () => {
    const s = store();
    const subjects = ['1', '2', '3', '4', '5', '6'];
    const base = Date.parse('2024-01-01T00:00:00Z');
    for (const [i, subject] of subjects.entries()) {
      s.deliver('Inbox', { subject, receivedTime: new Date(base + i * 1000).toISOString() });
    }
    const driver = outlook(s);
    driver.handle('logon', { profile: '', folder: 'INBOX' });
    const refs = driver.handle('list', { unreadOnly: false }).map((e) => e.ref);
    expect(refs.map((ref) => s.find(ref)?.message.subject)).toEqual(subjects);
  });

  it('reads non-delivery reports (ReportItem: no sender properties) and Exchange senders by their SMTP address', () => {
    const s = store();
    const ndr = s.deliver('Inbox', {
      subject: 'Undeliverable: x',
      messageClass: 'REPORT.IPM.Note.NDR',
      body: 'failed',
    });
    const ex = s.deliver('Inbox', {
      subject: 'internal',
      senderName: 'Ada',
      senderType: 'EX',
      senderAddress: '/o=Org/ou=Exchange/cn=Recipients/cn=ada',
      senderSmtp: 'ada@example.test',
    });
    const driver = outlook(s);
    driver.handle('logon', { profile: '', folder: 'INBOX' });
    expect(driver.handle('envelope', { ref: ndr.entryId })).toMatchObject({ subject: 'Undeliverable: x', from: [] });
    expect(driver.handle('envelope', { ref: ex.entryId }).from).toEqual([{ name: 'Ada', address: 'ada@example.test' }]);
  });

  it('a message gone since the listing is a not-found failure', () => {
    const s = store();
    const m = s.deliver('Inbox', { subject: 'x' });
    const driver = outlook(s);
    driver.handle('logon', { profile: '', folder: 'INBOX' });
    s.remove(m.entryId);
    expect(() => driver.handle('envelope', { ref: m.entryId })).toThrow(/no message/);
  });
});

describe('Simple MAPI fake (documented behaviour)', () => {
  function session(s: FakeMailStore) {
    const api = createSimpleMapi(s.root);
    const { rc, session: handle } = api.MAPILogon(0, null, null, MAPI.NEW_SESSION);
    expect(rc).toBe(SIMPLE_MAPI.SUCCESS_SUCCESS);
    return { api, handle };
  }

  it('MAPIFindNext: seed enumeration ends in MAPI_E_NO_MESSAGES; a deleted seed is MAPI_E_INVALID_MESSAGE', () => {
    const s = store();
    s.deliver('Inbox', { subject: 'a' });
    s.deliver('Inbox', { subject: 'b' });
    const { api, handle } = session(s);
    const flags = MAPI.LONG_MSGID | MAPI.GUARANTEE_FIFO;
    const first = api.MAPIFindNext(handle, 0, null, null, flags);
    const second = api.MAPIFindNext(handle, 0, null, first.messageId, flags);
    expect(api.MAPIFindNext(handle, 0, null, second.messageId, flags).rc).toBe(SIMPLE_MAPI.MAPI_E_NO_MESSAGES);
    expect(api.MAPIDeleteMail(handle, 0, first.messageId, 0)).toBe(SIMPLE_MAPI.SUCCESS_SUCCESS);
    expect(api.MAPIFindNext(handle, 0, null, first.messageId, flags).rc).toBe(SIMPLE_MAPI.MAPI_E_INVALID_MESSAGE);
    expect(api.MAPIDeleteMail(handle, 0, first.messageId, 0)).toBe(SIMPLE_MAPI.MAPI_E_INVALID_MESSAGE);
  });

  it('long message ids need MAPI_LONG_MSGID', () => {
    const s = store();
    s.deliver('Inbox', { subject: 'a' });
    const { api, handle } = session(s);
    expect(api.MAPIFindNext(handle, 0, null, null, 0).rc).toBe(SIMPLE_MAPI.MAPI_E_FAILURE);
    expect(api.MAPIFindNext(handle, 0, null, null, MAPI.LONG_MSGID).rc).toBe(SIMPLE_MAPI.SUCCESS_SUCCESS);
  });

  it('MAPIReadMail marks read unless MAPI_PEEK', () => {
    const s = store();
    const m = s.deliver('Inbox', { subject: 'a' });
    const { api, handle } = session(s);
    api.MAPIFreeBuffer(api.MAPIReadMail(handle, 0, m.entryId, MAPI.PEEK).buffer);
    expect(s.find(m.entryId)?.message.unread).toBe(true);
    api.MAPIFreeBuffer(api.MAPIReadMail(handle, 0, m.entryId, 0).buffer);
    expect(s.find(m.entryId)?.message.unread).toBe(false);
  });
});

describe('Simple MAPI driver', () => {
  it('peeks for envelope and read, marks read only on markRead, and frees every buffer', () => {
    const s = store();
    const m = s.deliver('Inbox', {
      subject: 'a',
      senderName: 'Ada',
      senderAddress: 'ada@example.test',
      body: 'text',
      attachments: [
        { filename: 'a.txt', contentType: 'text/plain', contentBase64: Buffer.from('abc').toString('base64') },
      ],
    });
    const api = createSimpleMapi(s.root);
    const driver = createSimpleMapiDriver(api);
    driver.handle('logon', { profile: '', folder: 'INBOX' });
    const [entry] = driver.handle('list', { unreadOnly: true });
    expect(entry).toMatchObject({ ref: m.entryId, key: `simple-mapi:${m.entryId}`, messageId: null });
    expect(driver.handle('envelope', { ref: m.entryId })).toMatchObject({
      subject: 'a',
      from: [{ name: 'Ada', address: 'ada@example.test' }],
      unread: true,
    });
    const parts = driver.handle('read', { ref: m.entryId, maxBytes: 1_000 });
    expect(parts.text).toBe('text');
    expect(parts.attachments).toEqual([
      { filename: 'a.txt', contentType: 'text/plain', size: 3, contentBase64: 'YWJj' },
    ]);
    expect(s.find(m.entryId)?.message.unread).toBe(true);
    driver.handle('markRead', { ref: m.entryId });
    expect(s.find(m.entryId)?.message.unread).toBe(false);
    expect(api.outstandingBuffers()).toBe(0);
    // MAPIReadMail's temporary attachment files are the caller's to remove.
    const tmp = join(s.root, 'tmp');
    const left = existsSync(tmp) ? readdirSync(tmp).flatMap((d) => readdirSync(join(tmp, d))) : [];
    expect(left).toEqual([]);
  });

  it('finds non-delivery reports (class REPORT.IPM.Note.NDR) as well as IPM mail, in arrival order', () => {
    const s = store();
    const base = Date.parse('2024-01-01T00:00:00Z');
    const a = s.deliver('Inbox', { subject: 'a', receivedTime: new Date(base).toISOString() });
    const ndr = s.deliver('Inbox', {
      subject: 'ndr',
      messageClass: 'REPORT.IPM.Note.NDR',
      receivedTime: new Date(base + 1).toISOString(),
    });
    const b = s.deliver('Inbox', { subject: 'b', receivedTime: new Date(base + 2).toISOString() });
    const driver = createSimpleMapiDriver(createSimpleMapi(s.root));
    driver.handle('logon', { profile: '', folder: 'INBOX' });
    const refs = driver.handle('list', { unreadOnly: false }).map((e) => e.ref);
    expect(refs).toEqual([a.entryId, b.entryId, ndr.entryId]);
  });

  it('an enumeration whose seed is deleted under it starts over instead of failing', () => {
    const s = store();
    const messages = ['a', 'b', 'c'].map((subject) => s.deliver('Inbox', { subject }));
    const api = createSimpleMapi(s.root);
    let calls = 0;
    const deleting = {
      ...api,
      MAPIFindNext(...args: Parameters<typeof api.MAPIFindNext>) {
        calls += 1;
        // Someone deletes the first message in Outlook right after it was returned as the seed.
        if (calls === 2) s.remove(messages[0]!.entryId);
        return api.MAPIFindNext(...args);
      },
    };
    const driver = createSimpleMapiDriver(deleting);
    driver.handle('logon', { profile: '', folder: 'INBOX' });
    const refs = driver.handle('list', { unreadOnly: false }).map((e) => e.ref);
    expect(refs).toEqual(messages.map((m) => m.entryId));
  });

  it('deleting a message that is gone is a not-found failure', () => {
    const s = store();
    const m = s.deliver('Inbox', { subject: 'a' });
    const driver = createSimpleMapiDriver(createSimpleMapi(s.root));
    driver.handle('logon', { profile: '', folder: 'INBOX' });
    driver.handle('delete', { ref: m.entryId });
    expect(() => driver.handle('delete', { ref: m.entryId })).toThrow(/no message/);
  });
});
