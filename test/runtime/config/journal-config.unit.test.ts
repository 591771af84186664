/**
 * The `journal` setting (issue 16, part 3): the plain form (a path or a PostgreSQL URL) and the object form
 * `{ path, retain }` resolve to the same location; `retain` is a duration (days too), absent means no retention.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../runtime/config/errors.js';
import { validateConfig } from '../../../runtime/config/load.js';

const dir = '/etc/mail-autopilot';
const mailbox = { id: 'support', server: 'imaps://127.0.0.1:31993', user: 'support@example.test', password: 'pw' };
const load = (journal: unknown) =>
  validateConfig(
    { ...(journal === undefined ? {} : { journal }), mailboxes: [mailbox] },
    { baseDir: dir, env: {}, platform: 'linux' },
  );

describe('journal setting', () => {
  it('keeps the plain forms: default file, a relative path, a PostgreSQL URL; no retention', () => {
    expect([load(undefined).journal, load(undefined).journalRetainMs]).toEqual([join(dir, 'autopilot.db'), undefined]);
    expect(load('./data/j.db').journal).toBe(join(dir, 'data/j.db'));
    expect(load('postgres://u@db/ma').journal).toBe('postgres://u@db/ma');
  });

  it('takes { path, retain } with retain in days, and the object form without retain keeps everything', () => {
    const config = load({ path: './j.db', retain: '90d' });
    expect(config.journal).toBe(join(dir, 'j.db'));
    expect(config.journalRetainMs).toBe(90 * 86_400_000);
    expect(load({ retain: '1h' }).journal).toBe(join(dir, 'autopilot.db'));
    expect(load({ path: 'postgresql://u@db/ma', retain: '30d' }).journal).toBe('postgresql://u@db/ma');
    expect(load({ path: './j.db' }).journalRetainMs).toBeUndefined();
  });

  it('rejects a retain that is not a duration and unknown keys, naming the field', () => {
    for (const [journal, path] of [
      [{ retain: 'forever' }, 'journal'],
      [{ path: './j.db', keep: '90d' }, 'journal'],
    ] as const) {
      try {
        load(journal);
        throw new Error('expected a ConfigError');
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).issues.map((issue) => issue.path).join(' ')).toContain(path);
      }
    }
  });
});
