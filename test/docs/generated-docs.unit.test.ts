/**
 * The state diagram and the schedule table in README.md and docs/ are generated from the machine definition
 * (`npm run docs:diagram`). This fails when someone changed the machine and forgot to regenerate them.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generatedDocs } from '../../scripts/generated-docs.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('generated docs are current', () => {
  for (const [file, expected] of Object.entries(generatedDocs(root))) {
    it(`${file} matches the machine definition (run npm run docs:diagram if not)`, () => {
      expect(readFileSync(`${root}${file}`, 'utf8')).toBe(expected);
    });
  }

  it('the README shows the diagram with all five states of S12', () => {
    const readme = readFileSync(`${root}README.md`, 'utf8');
    expect(readme).toContain('```mermaid\nstateDiagram-v2');
    for (const state of ['connecting', 'polling', 'backoff', 'stopped', 'unlimitedRetry']) {
      expect(readme).toContain(`| \`${state}\` |`);
    }
  });
});
