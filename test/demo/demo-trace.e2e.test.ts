/**
 * `mail-autopilot test` on the demo's four mails with the demo's configuration (issue 15: the closing note's trace):
 * the trace must say what the demo's run does to each mail (scripts/demo/mails.ts `expected`): the same rules
 * matched, and a reply skipped with the same loop-protection code. docs/examples/demo-trace.txt and .json are these
 * very traces (the closing note of issue 15 quotes them); the test keeps them true.
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ActionTrace, RuleTrace } from '../../runtime/rules/explain.js';
import { demoMails } from '../../scripts/demo/mails.js';
import { REPO_ROOT, spawnCli } from '../support/cli.js';

describe('the trace of the demo mails', () => {
  it('matches what the demo run does to each of them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'demo-trace-'));
    copyFileSync(join(REPO_ROOT, 'docs/examples/demo.yaml'), join(dir, 'demo.yaml'));
    const mails = demoMails(new Date('2026-12-06T12:00:00Z'));
    const names = ['bounce', 'optin', 'contact-form', 'out-of-office'];
    const files = mails.map((mail, i) => {
      const file = `${i + 1}-${names[i]}.eml`;
      writeFileSync(join(dir, file), mail.raw.replace(/\r?\n/g, '\r\n'));
      return file;
    });
    const result = await spawnCli(['test', '--config', 'demo.yaml', '--json', ...files], { cwd: dir });
    expect(result.status, result.stderr).toBe(0);
    const documented = (name: string) => readFileSync(join(REPO_ROOT, 'docs/examples', name), 'utf8');
    expect(JSON.parse(result.stdout)).toEqual(JSON.parse(documented('demo-trace.json')));
    const human = await spawnCli(['test', '--config', 'demo.yaml', ...files], { cwd: dir });
    expect(human.stdout).toBe(documented('demo-trace.txt'));
    const { messages } = JSON.parse(result.stdout) as { messages: { file: string; rules: RuleTrace[] }[] };
    expect(messages.map((m) => m.file)).toEqual(files);
    for (const [i, mail] of mails.entries()) {
      const matched = messages[i]!.rules.filter((step) => step.tried && step.matched);
      expect(
        matched.map((step) => step.rule),
        mail.label,
      ).toEqual(mail.expected.rules);
      const actions = matched.flatMap((step) => (step.tried && step.matched ? step.actions : [])) as ActionTrace[];
      expect(
        actions.map((a) => ({
          kind: a.kind,
          outcome: a.skipped ? 'skipped' : 'done',
          ...(a.skipped ? { code: a.skipped } : {}),
        })),
        mail.label,
      ).toEqual(mail.expected.actions);
    }
  });
});
