/**
 * `mail-autopilot test` on .eml files with the conditions beyond headers (issue 15 point 6): size from the file's
 * length, attachments and the body text from the file's own parts (`factsFromRaw`), the text cut to the mailbox's
 * `bodyMatchBytes`. The CLI spawned; the servers in the config do not exist, so nothing connects.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { mailWithAttachments } from '../support/attachment-mail.js';
import { spawnCli } from '../support/cli.js';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'test-conditions-'));
  writeFileSync(
    join(dir, 'rules.yaml'),
    [
      'journal: ./never.db',
      'mailboxes:',
      '  - id: support',
      '    server: imaps://127.0.0.1:9',
      '    user: support@example.test',
      '    password: ${UNSET_PASSWORD}',
      '    bodyMatchBytes: 200',
      '    rules:',
      '      - name: large',
      '        size: { over: 2KB }',
      '        actions: [{ flag: Large }]',
      '      - name: pdf',
      '        attachment: { name: "*.pdf", type: application/pdf }',
      '        actions: [{ flag: Pdf }]',
      '      - name: overdue',
      '        body: { contains: overdue }',
      '        actions: [{ flag: Overdue }]',
    ].join('\n'),
  );
  const pdf = { filename: 'Invoice-7.PDF', type: 'application/pdf', content: Buffer.alloc(3_000, 1) };
  writeFileSync(
    join(dir, 'pdf.eml'),
    mailWithAttachments({ subject: 'Invoice', text: 'Payment overdue.', files: [pdf] }),
  );
  // The keyword lies beyond the 200 characters the mailbox's body conditions test.
  const late = `${'Lorem ipsum dolor sit amet. '.repeat(10)}overdue`;
  writeFileSync(join(dir, 'late.eml'), mailWithAttachments({ subject: 'Late', text: late, files: [] }));
});

type Trace = { messages: { rules: { rule: string; matched?: boolean; reason?: string }[] }[] };

async function traceOf(file: string) {
  const result = await spawnCli(['test', '--config', 'rules.yaml', '--json', file], { cwd: dir });
  expect(result.status, result.stderr).toBe(0);
  return (JSON.parse(result.stdout) as Trace).messages[0]!.rules;
}

describe('mail-autopilot test: size, attachment and body conditions on a file', () => {
  it('a large file with a PDF and the keyword matches all three rules', async () => {
    const rules = await traceOf('pdf.eml');
    expect(rules.filter((r) => r.matched).map((r) => r.rule)).toEqual(['large', 'pdf', 'overdue']);
  });

  it('a small file without attachments: the size and the missing attachment are the reasons; the keyword past bodyMatchBytes is not seen', async () => {
    const rules = await traceOf('late.eml');
    expect(rules.map((r) => r.rule)).toEqual(['large', 'pdf', 'overdue']);
    expect(rules.some((r) => r.matched)).toBe(false);
    expect(rules[0]!.reason).toMatch(/^size over 2048 bytes: saw "\d+ bytes"$/);
    expect(rules[1]!.reason).toMatch(/saw none/);
  });
});
