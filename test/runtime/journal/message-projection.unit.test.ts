import { describe, expect, it } from 'vitest';
import type { JournalEvent, StoredEvent } from '../../../runtime/journal/events.js';
import { MessageProjection } from '../../../runtime/journal/message-projection.js';
import { messageEvents, testClock } from './builders.js';

/** Numbers events like a store would (positions and versions continue across calls per projection). */
const numbering = new WeakMap<MessageProjection, { position: number; versions: Map<string, number> }>();

/** Folds events into the projection (a fresh one by default). */
function fold(events: JournalEvent[], projection = new MessageProjection()): MessageProjection {
  let state = numbering.get(projection);
  if (!state) {
    state = { position: 0, versions: new Map() };
    numbering.set(projection, state);
  }
  for (const event of events) {
    const version = (state.versions.get(event.mailboxId) ?? 0) + 1;
    state.versions.set(event.mailboxId, version);
    projection.apply({ ...event, position: ++state.position, version } as StoredEvent);
  }
  return projection;
}

const id = (key: string, messageId: string | null = `<${key}@example.test>`, mailboxId = 'support') => ({
  mailboxId,
  key,
  messageId,
});

describe('MessageProjection: status along a message path', () => {
  it('follows discovered → matched → handler → actions → handled', () => {
    const clock = testClock();
    const m = messageEvents('k1', { at: clock.tick });
    const p = fold([
      m.discovered('Undelivered Mail'),
      m.matched('bounces'),
      m.handlerStarted('bounces', 1),
      m.handlerSucceeded('bounces', 1),
      m.actionStarted('bounces', 0, 'markRead'),
      m.actionDone('bounces', 0, 'markRead'),
      m.handled(),
    ]);
    const record = p.get('support', 'k1');
    expect(record).toMatchObject({
      status: 'handled',
      subject: 'Undelivered Mail',
      from: 'ada@example.test',
      rules: ['bounces'],
      attempts: 1,
      failures: 0,
      inFlight: null,
      lastPosition: 7,
    });
    expect(record?.handledAt).toBe(record?.updatedAt);
    expect(p.isHandled(id('k1'))).toBe(true);
    expect(p.pending()).toEqual([]);
    expect(p.statusCounts('support').handled).toBe(1);
  });

  it('counts an unmatched message as needing no more work', () => {
    const m = messageEvents('k1');
    const p = fold([m.discovered(), m.unmatched()]);
    expect(p.get('support', 'k1')?.status).toBe('unmatched');
    expect(p.isHandled(id('k1'))).toBe(true);
  });

  it('does not count a message in progress, failed or interrupted as handled', () => {
    const a = messageEvents('a');
    const b = messageEvents('b');
    const c = messageEvents('c');
    const p = fold([
      a.discovered(),
      a.matched('r'),
      a.handlerStarted('r', 1),
      b.discovered(),
      b.matched('r'),
      b.handlerStarted('r', 1),
      b.handlerFailed('r', 1),
      c.discovered(),
      c.matched('r'),
      c.actionStarted('r', 0, 'reply'),
      c.interrupted(),
    ]);
    expect(['a', 'b', 'c'].map((k) => p.get('support', k)?.status)).toEqual(['inProgress', 'failed', 'interrupted']);
    expect(['a', 'b', 'c'].map((k) => p.isHandled(id(k)))).toEqual([false, false, false]);
    expect(p.pending('support').map((r) => r.key)).toEqual(['a', 'b', 'c']);
  });

  it('knows nothing of unknown messages and mailboxes (S6: only what was journaled counts as handled)', () => {
    const p = fold([messageEvents('k1').discovered()]);
    expect(p.isHandled(id('other'))).toBe(false);
    expect(p.isHandled(id('k1', null, 'sales'))).toBe(false);
    expect(p.get('sales', 'k1')).toBeUndefined();
    expect(p.inFlight('sales')).toEqual([]);
  });

  it('keeps the messages of different mailboxes apart even with equal keys', () => {
    const support = messageEvents('k1');
    const sales = messageEvents('k1', { mailboxId: 'sales' });
    const p = fold([support.discovered(), sales.discovered(), sales.unmatched()]);
    expect(p.isHandled(id('k1', null, 'sales'))).toBe(true);
    expect(p.isHandled(id('k1', null, 'support'))).toBe(false);
  });
});

describe('MessageProjection: failures, retries and dead letters', () => {
  it('counts handler and action failures as the retry budget and keeps the last one', () => {
    const m = messageEvents('k1');
    const p = fold([
      m.discovered(),
      m.matched('r'),
      m.handlerStarted('r', 1),
      m.handlerFailed('r', 1, 'exit code 3'),
      m.handlerStarted('r', 2),
      m.handlerSucceeded('r', 2),
      m.actionStarted('r', 0, 'forward'),
      m.actionFailed('r', 0, 'forward'),
    ]);
    const record = p.get('support', 'k1')!;
    expect(record.failures).toBe(2);
    expect(record.attempts).toBe(2);
    expect(record.status).toBe('failed');
    expect(record.lastFailure).toMatchObject({ step: 'action', rule: 'r', code: 'SMTP_REJECTED', retryable: true });
  });

  it('lists dead letters in the order they were dead-lettered, with the reason', () => {
    const a = messageEvents('a');
    const b = messageEvents('b', { mailboxId: 'sales' });
    const p = fold([
      b.discovered(),
      a.discovered(),
      a.handlerStarted('r', 1),
      a.handlerFailed('r', 1),
      a.deadLettered('handler failed 1 time: exit code 1'),
      b.deadLettered('no such folder'),
    ]);
    expect(p.deadLetters().map((r) => [r.mailboxId, r.key, r.deadLetter?.reason])).toEqual([
      ['support', 'a', 'handler failed 1 time: exit code 1'],
      ['sales', 'b', 'no such folder'],
    ]);
    expect(p.deadLetters('sales').map((r) => r.key)).toEqual(['b']);
    expect(p.isHandled(id('a'))).toBe(true);
    expect(p.pending()).toEqual([]);
  });

  it('takes a retried dead letter off the list with a fresh budget, and puts it at the end when it fails again', () => {
    const a = messageEvents('a');
    const b = messageEvents('b');
    const p = fold([
      a.discovered(),
      a.handlerStarted('r', 1),
      a.handlerFailed('r', 1),
      a.deadLettered(),
      b.discovered(),
      b.deadLettered(),
      a.retryRequested(),
    ]);
    expect(p.get('support', 'a')).toMatchObject({ status: 'retryRequested', failures: 0, deadLetter: null });
    expect(p.isHandled(id('a'))).toBe(false);
    expect(p.deadLetters().map((r) => r.key)).toEqual(['b']);
    fold([a.handlerStarted('r', 2), a.handlerFailed('r', 2), a.deadLettered('again')], p);
    expect(p.deadLetters().map((r) => [r.key, r.deadLetter?.reason])).toEqual([
      ['b', 'handler failed 3 times'],
      ['a', 'again'],
    ]);
    expect(p.get('support', 'a')?.attempts).toBe(2);
  });
});

describe('MessageProjection: actions and in-flight steps (crash recovery)', () => {
  it('marks an action settled only once it is journaled as done or skipped', () => {
    const m = messageEvents('k1');
    const p = fold([
      m.discovered(),
      m.matched('optin'),
      m.actionStarted('optin', 0, 'reply'),
      m.actionDone('optin', 0, 'reply', { sentMessageId: '<reply-1@example.test>', recipients: ['ada@example.test'] }),
      m.actionStarted('optin', 1, 'forward'),
      m.actionSkipped('optin', 1, 'forward'),
      m.actionStarted('optin', 2, 'moveTo'),
    ]);
    expect(p.isActionDone(id('k1'), 'optin', 0)).toBe(true);
    expect(p.isActionDone(id('k1'), 'optin', 1)).toBe(true);
    // Started and never finished (crash): not done, so it is attempted again.
    expect(p.isActionDone(id('k1'), 'optin', 2)).toBe(false);
    expect(p.isActionDone(id('k1'), 'other', 0)).toBe(false);
    expect(p.settledActions(id('k1'))).toEqual([
      expect.objectContaining({ index: 0, kind: 'reply', outcome: 'done', sentMessageId: '<reply-1@example.test>' }),
      expect.objectContaining({ index: 1, kind: 'forward', outcome: 'skipped', sentMessageId: null }),
    ]);
    expect(p.inFlight().map((r) => [r.key, r.inFlight])).toEqual([
      ['k1', expect.objectContaining({ step: 'action', rule: 'optin', index: 2, kind: 'moveTo' })],
    ]);
  });

  it('remembers which rules’ handlers succeeded, so a later crash does not run them again', () => {
    const m = messageEvents('k1');
    const p = fold([
      m.discovered(),
      m.matched('first', 'second'),
      m.handlerStarted('first', 1),
      m.handlerSucceeded('first', 1),
      m.handlerStarted('second', 2),
      m.handlerFailed('second', 2),
      m.deadLettered(),
      m.retryRequested(),
    ]);
    expect(p.isHandlerDone(id('k1'), 'first')).toBe(true);
    expect(p.isHandlerDone(id('k1'), 'second')).toBe(false);
    expect(p.isHandlerDone(id('other'), 'first')).toBe(false);
  });

  it('reports handlers started without an outcome as in flight, also after an interruption', () => {
    const crashed = messageEvents('crashed');
    const stopped = messageEvents('stopped');
    const finished = messageEvents('finished');
    const p = fold([
      crashed.discovered(),
      crashed.handlerStarted('r', 1),
      stopped.discovered(),
      stopped.handlerStarted('r', 3),
      stopped.interrupted(),
      finished.discovered(),
      finished.handlerStarted('r', 1),
      finished.handlerSucceeded('r', 1),
    ]);
    expect(p.inFlight('support').map((r) => [r.key, r.status, r.inFlight?.step])).toEqual([
      ['crashed', 'inProgress', 'handler'],
      ['stopped', 'interrupted', 'handler'],
    ]);
    expect(p.get('support', 'stopped')?.inFlight).toMatchObject({ rule: 'r', attempt: 3 });
    fold([crashed.handled()], p);
    expect(p.inFlight('support').map((r) => r.key)).toEqual(['stopped']);
  });
});

describe('MessageProjection: re-identification (UIDVALIDITY change)', () => {
  it('finds a handled message by Message-ID when its key is new', () => {
    const old = messageEvents('imap:INBOX:1:7', { messageId: '<m7@example.test>' });
    const p = fold([old.discovered(), old.handled()]);
    expect(p.isHandled(id('imap:INBOX:2:3', '<m7@example.test>'))).toBe(true);
    expect(p.isHandled(id('imap:INBOX:2:4', '<other@example.test>'))).toBe(false);
    expect(p.isHandled(id('imap:INBOX:2:5', null))).toBe(false);
    expect(p.lookup(id('imap:INBOX:2:3', '<m7@example.test>'))?.key).toBe('imap:INBOX:1:7');
  });

  it('answers by Message-ID only when every message with it is finished (duplicates)', () => {
    const first = messageEvents('imap:INBOX:1:1', { messageId: '<dup@example.test>' });
    const second = messageEvents('imap:INBOX:1:2', { messageId: '<dup@example.test>' });
    const p = fold([first.discovered(), first.handled(), second.discovered(), second.handlerStarted('r', 1)]);
    expect(p.findByMessageId('support', '<dup@example.test>').map((r) => r.key)).toEqual([
      'imap:INBOX:1:1',
      'imap:INBOX:1:2',
    ]);
    expect(p.isHandled(id('imap:INBOX:2:9', '<dup@example.test>'))).toBe(false);
    expect(p.lookup(id('imap:INBOX:2:9', '<dup@example.test>'))).toBeUndefined();
    fold([second.handled()], p);
    expect(p.isHandled(id('imap:INBOX:2:9', '<dup@example.test>'))).toBe(true);
  });

  it('moves the whole history to the new key and keeps the original key', () => {
    const old = messageEvents('imap:INBOX:1:7', { messageId: '<m7@example.test>' });
    const p = fold([
      old.discovered(),
      old.matched('optin'),
      old.actionStarted('optin', 0, 'reply'),
      old.actionDone('optin', 0, 'reply'),
      old.reidentifiedAs('imap:INBOX:2:3'),
    ]);
    expect(p.get('support', 'imap:INBOX:1:7')).toBeUndefined();
    const moved = p.get('support', 'imap:INBOX:2:3');
    expect(moved).toMatchObject({ key: 'imap:INBOX:2:3', originalKey: 'imap:INBOX:1:7', status: 'inProgress' });
    expect(p.isActionDone(id('imap:INBOX:2:3'), 'optin', 0)).toBe(true);
    expect(p.findByMessageId('support', '<m7@example.test>')).toEqual([moved]);
  });

  it('replaces a record that was started under the new key before the re-identification', () => {
    const old = messageEvents('k-old', { messageId: '<m@example.test>' });
    const fresh = messageEvents('k-new', { messageId: '<m@example.test>' });
    const p = fold([old.discovered(), old.handled(), fresh.discovered(), old.reidentifiedAs('k-new')]);
    expect(p.get('support', 'k-new')).toMatchObject({ status: 'handled', originalKey: 'k-old' });
    expect(p.findByMessageId('support', '<m@example.test>')).toHaveLength(1);
    expect(p.pending()).toEqual([]);
  });
});
