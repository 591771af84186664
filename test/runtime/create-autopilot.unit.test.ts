/**
 * `createAutopilot(config)` as a host program calls it: with a path, with a config from `loadConfig`, or with a plain
 * object written in code (validated here, defaults applied, errors naming the mailbox and field).
 */
import { describe, expect, it } from 'vitest';
import { createAutopilot } from '../../runtime/autopilot.js';
import { ConfigError } from '../../runtime/config/errors.js';

const raw = {
  journal: './never-opened.db',
  mailboxes: [{ id: 'support', server: 'imaps://127.0.0.1:1', user: 'support@example.test', password: 'x' }],
};

describe('createAutopilot', () => {
  it('accepts a plain config object and applies the documented defaults', () => {
    const autopilot = createAutopilot(raw, { platform: 'linux' });
    expect(autopilot.config.mailboxes[0]).toMatchObject({ service: 'imap', folder: 'INBOX', pollInterval: 60_000 });
    expect(autopilot.config.journal).toBe(`${process.cwd()}/never-opened.db`);
  });

  it('rejects an invalid plain object with a ConfigError naming the mailbox and the field', () => {
    expect(() => createAutopilot({ mailboxes: [{ id: 'support', service: 'pop3', unreadOnly: true }] })).toThrow(
      ConfigError,
    );
    let caught: unknown;
    try {
      createAutopilot({ mailboxes: [{ id: 'support', server: 'x', user: 'u', password: 'p', folder: 7 }] });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).issues[0]).toMatchObject({ mailboxId: 'support', path: 'mailboxes[0].folder' });
  });
});
