/**
 * The public surface is what the docs describe (issue 14 point 5): every name `index.ts` exports appears in
 * docs/api.md, and every name docs/api.md lists in its first column is exported. A new export without a line in the
 * docs, or a documented name that went away, fails here.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as api from '../../index.js';
import { REPO_ROOT } from '../support/cli.js';

const indexSource = readFileSync(`${REPO_ROOT}index.ts`, 'utf8');
const apiDoc = readFileSync(`${REPO_ROOT}docs/api.md`, 'utf8');

/** The names of `export { … }` and `export type { … }` blocks (not `export *`, documented as one row). */
function exportedNames(source: string): string[] {
  const names: string[] = [];
  for (const block of source.matchAll(/export (?:type )?\{([^}]*)\}/g)) {
    for (const part of block[1]!.split(',')) {
      const name = part
        .trim()
        .replace(/^type\s+/, '')
        .split(/\s+as\s+/)
        .pop();
      if (name) names.push(name);
    }
  }
  return names;
}

/** The names in backticks in the first column of docs/api.md's tables (`createAutopilot(config, options?)` → createAutopilot). */
function documentedNames(doc: string): string[] {
  const names: string[] = [];
  for (const line of doc.split('\n')) {
    const first = /^\| ([^|]+) \|/.exec(line)?.[1];
    if (!first || first.startsWith('export') || first.startsWith('---') || first.startsWith('everything')) continue;
    for (const code of first.matchAll(/`([A-Za-z_$][\w$]*)/g)) names.push(code[1]!);
  }
  return names;
}

describe('index.ts exports what docs/api.md describes', () => {
  const exported = exportedNames(indexSource);

  it('finds the exports (the parser works)', () => {
    expect(exported).toContain('createAutopilot');
    expect(exported).toContain('JournalStore');
    expect(exported.length).toBeGreaterThan(20);
  });

  it('every export has its line in docs/api.md', () => {
    const documented = new Set(documentedNames(apiDoc));
    expect(exported.filter((name) => !documented.has(name))).toEqual([]);
  });

  it('every documented name is exported, and every value export is really there at run time', () => {
    const names = new Set(exported);
    expect(documentedNames(apiDoc).filter((name) => !names.has(name))).toEqual([]);
    for (const value of ['createAutopilot', 'Journal', 'loadConfig', 'MailServiceError', 'mailboxMachine']) {
      expect(api).toHaveProperty(value);
    }
  });
});
