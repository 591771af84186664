/**
 * Which live host should own which mailbox: rendezvous (highest-random-weight) hashing with bounded loads. Every host
 * computes the same answer from the same inputs (the mailbox ids and the live host ids), with no coordination.
 *
 * - Each mailbox ranks the hosts by a hash of (host, mailbox); it goes to the best-ranked host that still has room.
 * - Room is the even share (`floor` or `ceil` of mailboxes / hosts), so loads differ by at most one where plain
 *   rendezvous hashing would leave them uneven (30 mailboxes over 3 hosts: 10/10/10 instead of, say, 8/11/11).
 * - When a host joins or leaves, about the ideal share moves (1/(n+1) of the mailboxes on a join, the leaver's
 *   share on a leave), measured in the unit tests; the order in which mailboxes claim room is fixed by a hash of
 *   their id, so a change elsewhere does not reshuffle everything.
 *
 * @module
 */

/**
 * A 53-bit string hash (cyrb53): fast, well mixed, stable across processes and versions of Node.
 *
 * @example
 * ```ts
 * hash53('host-a\u0000support'); // a number in [0, 2^53)
 * ```
 */
export function hash53(text: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

function compareByHash(a: { id: string; hash: number }, b: { id: string; hash: number }): number {
  return a.hash - b.hash || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * Assigns every mailbox to one of the hosts (none when there are no hosts). Duplicates in either list are ignored;
 * the order of the lists does not matter.
 *
 * @example
 * ```ts
 * const owners = assignMailboxes(['support', 'sales', 'billing'], ['host-a', 'host-b']);
 * owners.get('support'); // 'host-a' or 'host-b', the same on every host
 * ```
 */
export function assignMailboxes(mailboxIds: readonly string[], hostIds: readonly string[]): Map<string, string> {
  const hosts = [...new Set(hostIds)].sort();
  const mailboxes = [...new Set(mailboxIds)].map((id) => ({ id, hash: hash53(id, 1) })).sort(compareByHash);
  const owners = new Map<string, string>();
  if (hosts.length === 0) return owners;
  // Room per host: the total divided evenly, the remainder going to the first hosts in a fixed (hashed) order, so
  // every mailbox finds room and loads differ by at most one.
  const base = Math.floor(mailboxes.length / hosts.length);
  const extra = mailboxes.length % hosts.length;
  const room = new Map(
    hosts
      .map((host) => ({ id: host, hash: hash53(host, 2) }))
      .sort(compareByHash)
      .map(({ id }, i) => [id, base + (i < extra ? 1 : 0)]),
  );
  const load = new Map(hosts.map((host) => [host, 0]));
  const ranked = hosts.map((host) => ({ host, score: 0 }));
  for (const { id } of mailboxes) {
    for (const entry of ranked) entry.score = hash53(`${entry.host}\u0000${id}`);
    ranked.sort((a, b) => b.score - a.score || (a.host < b.host ? -1 : 1));
    for (const { host } of ranked) {
      const used = load.get(host)!;
      if (used < room.get(host)!) {
        owners.set(id, host);
        load.set(host, used + 1);
        break;
      }
    }
  }
  return owners;
}
