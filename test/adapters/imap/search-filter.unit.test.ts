/**
 * The pure parts of asking the server first and of batching (issue 12): the SearchFilter → imapflow query
 * compiler, the discovery plan's SEARCH sequence (given the server's answers), and the splitting of UID sets and
 * source fetches. The same on Dovecot: search-pushdown.int.test.ts and batch-sent.int.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { SearchFilter } from '../../../adapters/contract.js';
import { sequenceSetChunks, sourceFetchGroups } from '../../../adapters/imap/actions.js';
import { effectiveFilter, planDiscovery, splitExamined } from '../../../adapters/imap/discovery-search.js';
import { simplifyFilter, toImapSearchQuery, withFilter } from '../../../adapters/imap/search-filter.js';

const h = (field: string, contains: string): SearchFilter => ({ op: 'header', field, contains });

describe('toImapSearchQuery', () => {
  it('maps subject/from/to/cc to their keys, other fields and empty values to HEADER', () => {
    expect(toImapSearchQuery(h('Subject', 'x'))).toEqual({ subject: 'x' });
    expect(toImapSearchQuery(h('cc', 'a@b'))).toEqual({ cc: 'a@b' });
    expect(toImapSearchQuery(h('list-id', 'news'))).toEqual({ header: { 'list-id': 'news' } });
    expect(toImapSearchQuery(h('from', ''))).toEqual({ header: { from: '' } });
  });

  it('merges an and with distinct keys; repeats of a key become NOT (OR (NOT a) (NOT b))', () => {
    expect(
      toImapSearchQuery({ op: 'and', of: [h('subject', 'a'), h('from', 'b'), h('x-a', '1'), h('x-b', '2')] }),
    ).toEqual({
      subject: 'a',
      from: 'b',
      header: { 'x-a': '1', 'x-b': '2' },
    });
    expect(toImapSearchQuery({ op: 'and', of: [h('subject', 'a'), h('subject', 'b')] })).toEqual({
      not: { or: [{ not: { subject: 'a' } }, { not: { subject: 'b' } }] },
    });
    expect(toImapSearchQuery({ op: 'or', of: [h('subject', 'a'), { op: 'not', of: h('to', 'b') }] })).toEqual({
      or: [{ subject: 'a' }, { not: { to: 'b' } }],
    });
  });

  it('withFilter ANDs the candidate search (UNSEEN, UID range) with the filter', () => {
    expect(withFilter({ all: true }, h('subject', 'x'))).toEqual({ subject: 'x' });
    expect(withFilter({ seen: false, uid: '5:9' }, { op: 'or', of: [h('subject', 'x'), h('to', 'y')] })).toEqual({
      seen: false,
      uid: '5:9',
      or: [{ subject: 'x' }, { to: 'y' }],
    });
  });

  it('simplifies all/none and refuses a field that is no header name', () => {
    expect(simplifyFilter({ op: 'or', of: [] })).toEqual({ op: 'none' });
    expect(simplifyFilter({ op: 'and', of: [{ op: 'all' }, h('subject', 'x')] })).toEqual(h('subject', 'x'));
    expect(simplifyFilter({ op: 'not', of: { op: 'all' } })).toEqual({ op: 'none' });
    expect(simplifyFilter({ op: 'and', of: [h('a', '1'), { op: 'or', of: [] }] })).toEqual({ op: 'none' });
    expect(() => simplifyFilter(h('bad name', 'x'))).toThrow(TypeError);
    expect(effectiveFilter({ op: 'all' })).toBeNull();
    expect(effectiveFilter(undefined)).toBeNull();
  });
});

/** A search function that answers from a script and records the queries, in order. */
function scripted(answers: (number[] | false)[]) {
  const queries: Record<string, unknown>[] = [];
  const search = async (query: Record<string, unknown>) => {
    queries.push(query);
    const answer = answers.shift();
    if (answer === undefined) throw new Error('unexpected SEARCH');
    return answer;
  };
  return { search, queries };
}

describe('planDiscovery', () => {
  const filter = effectiveFilter(h('subject', 'invoice'));

  it('without a filter: one SEARCH of the candidates, only UIDs above the last pass', async () => {
    const { search, queries } = scripted([[3, 7, 9]]);
    expect(await planDiscovery(search, { unreadOnly: true, aboveUid: 7, filter: null })).toEqual({ uids: [9] });
    expect(queries).toEqual([{ seen: false, uid: '8:*' }]);
  });

  it('with a filter: the candidates (UIDs only), then candidates AND filter within the range they span', async () => {
    const { search, queries } = scripted([
      [1, 2, 3, 4, 10],
      [2, 10],
    ]);
    expect(await planDiscovery(search, { unreadOnly: false, aboveUid: null, filter })).toMatchObject({
      uids: [2, 10],
      examined: { fromUid: 1, throughUid: 10, candidates: 5, hits: 2 },
    });
    expect(queries).toEqual([{ all: true }, { uid: '1:10', subject: 'invoice' }]);
  });

  it('a new-UID range; `n:*` returning the highest old UID is not a candidate', async () => {
    const { search, queries } = scripted([[10, 12, 13], [13]]);
    expect(await planDiscovery(search, { unreadOnly: true, aboveUid: 10, filter })).toMatchObject({
      uids: [13],
      examined: { fromUid: 11, throughUid: 13, candidates: 2, hits: 1 },
    });
    expect(queries[1]).toEqual({ seen: false, uid: '11:13', subject: 'invoice' });
  });

  it('no candidates: no filtered SEARCH; nothing can match: no filtered SEARCH, all examined', async () => {
    const empty = scripted([[]]);
    expect(await planDiscovery(empty.search, { unreadOnly: false, aboveUid: 4, filter })).toEqual({ uids: [] });
    expect(empty.queries).toHaveLength(1);
    const none = scripted([[1, 2]]);
    expect(
      await planDiscovery(none.search, { unreadOnly: false, aboveUid: null, filter: { op: 'none' } }),
    ).toMatchObject({
      uids: [],
      examined: { fromUid: 1, throughUid: 2, candidates: 2, hits: 0 },
    });
  });

  it('a refused filtered SEARCH: every candidate, marked refused (the session turns the filter off)', async () => {
    const { search } = scripted([[1, 2, 3], false]);
    expect(await planDiscovery(search, { unreadOnly: false, aboveUid: null, filter })).toMatchObject({
      uids: [1, 2, 3],
      refused: true,
    });
    const plain = scripted([false]);
    expect(await planDiscovery(plain.search, { unreadOnly: false, aboveUid: null, filter })).toBe(false);
  });
});

describe('batch splitting', () => {
  it('sequenceSetChunks keeps sets compact and under the line limit', () => {
    expect(sequenceSetChunks([5, 1, 2, 3, 9, 9])).toEqual(['1:3,5,9']);
    expect(sequenceSetChunks([1, 3, 5, 7], 3)).toEqual(['1,3', '5,7']);
    const scattered = Array.from({ length: 10_000 }, (_, i) => 100_000 + i * 2);
    const chunks = sequenceSetChunks(scattered);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.every((chunk) => chunk.length <= 16_000)).toBe(true);
    expect(chunks.join(',').split(',')).toHaveLength(10_000);
    expect(sequenceSetChunks([])).toEqual([]);
  });

  it('sourceFetchGroups fills fetches up to the byte budget, in UID order; a large message goes alone', () => {
    expect(
      sourceFetchGroups(
        [
          { uid: 3, size: 2 },
          { uid: 1, size: 6 },
          { uid: 2, size: 6 },
          { uid: 4, size: 50 },
          { uid: 5, size: 1 },
        ],
        10,
      ),
    ).toEqual([[1], [2, 3], [4], [5]]);
  });
});

describe('splitExamined', () => {
  const plan = {
    uids: [3, 8],
    examined: { fromUid: 1, throughUid: 10, candidates: 6, hits: 2 },
    candidateUids: [1, 3, 5, 8, 9, 10],
  };
  it('reports the range whole when nothing of it was examined before', () => {
    expect(splitExamined(plan, 0)).toEqual([plan.examined]);
  });
  it('splits a full pass at what earlier sessions examined, so each message is counted once', () => {
    expect(splitExamined(plan, 5)).toEqual([
      { fromUid: 1, throughUid: 5, candidates: 3, hits: 1 },
      { fromUid: 6, throughUid: 10, candidates: 3, hits: 1 },
    ]);
  });
});
