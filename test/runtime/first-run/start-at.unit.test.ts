/**
 * `startAt` (issue 15 point 3): the config key (default `all`, resolved to one shape, a bad value a config error
 * naming the mailbox and the field), the baseline fold (journaled once, never moved forward), and the pure
 * decisions of runtime/start-gate.ts.
 */
import { describe, expect, it } from 'vitest';
import type { DiscoveredMessage } from '../../../adapters/contract.js';
import { discoverySearch } from '../../../adapters/imap/discovery-search.js';
import { ConfigError } from '../../../runtime/config/errors.js';
import { validateConfig } from '../../../runtime/config/load.js';
import { parseStartAt } from '../../../runtime/config/start-at.js';
import { MailboxProjection } from '../../../runtime/journal/mailbox-projection.js';
import { imapStartBound, keyBaseline, leftOut } from '../../../runtime/start-gate.js';

const base = { baseDir: '/tmp', env: {}, platform: 'linux' as const };
const mailbox = (extra: Record<string, unknown> = {}) => ({
  id: 'support',
  server: 'imaps://127.0.0.1:31993',
  user: 'support@example.test',
  password: 'pw',
  ...extra,
});
const watermark = { folder: 'INBOX', uidValidity: '7', uidNext: 6, exists: 5 };

describe('startAt in the config', () => {
  it('defaults to all (SPEC S5: every candidate)', () => {
    expect(validateConfig({ mailboxes: [mailbox()] }, base).mailboxes[0]!.startAt).toEqual({ kind: 'all' });
  });

  it.each([
    ['new', { kind: 'new' }],
    ['all', { kind: 'all' }],
    ['2026-11-01', { kind: 'since', since: Date.UTC(2026, 10, 1), text: '2026-11-01' }],
    [
      '2026-11-01T08:30:00+01:00',
      { kind: 'since', since: Date.UTC(2026, 10, 1, 7, 30), text: '2026-11-01T08:30:00+01:00' },
    ],
    ['2026-11-01T08:30Z', { kind: 'since', since: Date.UTC(2026, 10, 1, 8, 30), text: '2026-11-01T08:30Z' }],
  ])('%s resolves to %j', (value, expected) => {
    expect(validateConfig({ mailboxes: [mailbox({ startAt: value })] }, base).mailboxes[0]!.startAt).toEqual(expected);
  });

  it.each(['yesterday', '2026-13-01', '2026-02-30', '2026-11-01T08:30:00', 'NEW', 5])(
    '%j is a config error naming the mailbox and startAt',
    (value) => {
      let issues: ConfigError['issues'] = [];
      try {
        validateConfig({ mailboxes: [mailbox({ startAt: value })] }, base);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        issues = (error as ConfigError).issues;
      }
      expect(issues).toHaveLength(1);
      expect(issues[0]).toMatchObject({ mailboxId: 'support', path: 'mailboxes[0].startAt' });
      expect(issues[0]!.message).toMatch(/all, new, an ISO date/);
    },
  );

  it('parseStartAt refuses what is not a date', () => {
    expect(parseStartAt('2026-1-1')).toBeUndefined();
    expect(parseStartAt(undefined)).toBeUndefined();
  });
});

describe('the baseline fold', () => {
  it('keeps the first baseline: a later one never moves it forward', () => {
    const projection = new MailboxProjection();
    const event = (uidNext: number, position: number) =>
      ({
        type: 'mailbox.baseline',
        mailboxId: 'support',
        at: position,
        folder: 'INBOX',
        uidValidity: '7',
        uidNext,
        keys: null,
        existing: uidNext - 1,
        position,
        version: position,
      }) as const;
    projection.apply(event(6, 1));
    projection.apply(event(9, 2));
    expect(projection.get('support')?.baseline).toMatchObject({ uidNext: 6, existing: 5, uidValidity: '7' });
    // Old messages are not counted as discovered, handled or unmatched.
    expect(projection.get('support')?.counters).toMatchObject({ discovered: 0, handled: 0, unmatched: 0 });
  });

  it('folds POP3 keys into a set', () => {
    const projection = new MailboxProjection();
    projection.apply({ ...keyBaseline('p', ['pop3:p:a', 'pop3:p:b'], 1), position: 1, version: 1 });
    const baseline = projection.get('p')?.baseline;
    expect(baseline?.existing).toBe(2);
    expect(baseline?.keys?.has('pop3:p:b')).toBe(true);
  });
});

describe('the start gate', () => {
  it('all leaves nothing out and journals nothing', () => {
    expect(imapStartBound({ kind: 'all' }, undefined, 'support', watermark, 1)).toEqual({
      bound: { aboveUid: 0, since: null },
      baseline: null,
    });
  });

  it('new without a baseline journals the watermark and leaves out every UID below UIDNEXT', () => {
    const { bound, baseline } = imapStartBound({ kind: 'new' }, undefined, 'support', watermark, 1);
    expect(bound.aboveUid).toBe(5);
    expect(baseline).toMatchObject({ type: 'mailbox.baseline', uidNext: 6, uidValidity: '7', existing: 5 });
  });

  it('new with a baseline keeps it (a restart does not move it); another UIDVALIDITY makes everything new', () => {
    const projection = new MailboxProjection();
    const first = imapStartBound({ kind: 'new' }, undefined, 'support', watermark, 1).baseline!;
    projection.apply({ ...first, position: 1, version: 1 });
    const status = projection.get('support');
    const later = { ...watermark, uidNext: 40, exists: 39 };
    expect(imapStartBound({ kind: 'new' }, status, 'support', later, 2)).toEqual({
      bound: { aboveUid: 5, since: null },
      baseline: null,
    });
    expect(imapStartBound({ kind: 'new' }, status, 'support', { ...later, uidValidity: '8' }, 2).bound.aboveUid).toBe(
      0,
    );
  });

  it('a date becomes the search date', () => {
    const since = Date.UTC(2026, 10, 1);
    const { bound } = imapStartBound({ kind: 'since', since, text: '2026-11-01' }, undefined, 'support', watermark, 1);
    expect(bound.since?.getTime()).toBe(since);
    expect(discoverySearch(false, null, bound.since)).toEqual({ since: bound.since });
    expect(discoverySearch(true, 5, bound.since)).toEqual({ seen: false, since: bound.since, uid: '6:*' });
    expect(discoverySearch(false, null)).toEqual({ all: true });
  });

  it('leaves out by key or by Date header; a message without a date is kept', () => {
    const message = (key: string, date: Date | null) =>
      ({ identity: { mailboxId: 'p', key, messageId: null }, envelope: { date } }) as unknown as DiscoveredMessage;
    const since = { kind: 'since', since: Date.UTC(2026, 10, 1), text: '2026-11-01' } as const;
    expect(leftOut(since, undefined, message('a', new Date(Date.UTC(2026, 9, 31))), false)).toBe(true);
    expect(leftOut(since, undefined, message('a', new Date(Date.UTC(2026, 10, 1))), false)).toBe(false);
    expect(leftOut(since, undefined, message('a', null), false)).toBe(false);
    const projection = new MailboxProjection();
    projection.apply({ ...keyBaseline('p', ['old'], 1), position: 1, version: 1 });
    expect(leftOut({ kind: 'new' }, projection.get('p'), message('old', null), false)).toBe(true);
    expect(leftOut({ kind: 'new' }, projection.get('p'), message('fresh', null), false)).toBe(false);
    expect(leftOut({ kind: 'new' }, undefined, message('fresh', null), true)).toBe(true);
  });
});
