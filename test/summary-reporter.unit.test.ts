/**
 * The closing summary line (issue 13.12). The bug it pins: a file whose `beforeAll` threw (its tests then skipped)
 * and unhandled errors were not counted, so a run ended with "0 failed" and exit code 1.
 */
import { describe, expect, it } from 'vitest';
import { type SummaryModule, summaryLine } from './summary-reporter.js';

/** A module as vitest reports it: its state and its tests' states. */
function module(state: 'passed' | 'failed' | 'skipped', tests: readonly string[]): SummaryModule {
  return {
    state: () => state,
    children: { allTests: () => tests.map((testState) => ({ result: () => ({ state: testState }) })) },
  };
}

describe('summaryLine', () => {
  it('counts passed, failed and skipped tests', () => {
    const line = summaryLine([module('failed', ['passed', 'failed', 'skipped']), module('passed', ['passed'])], []);
    expect(line).toBe('tests: 2 passed, 1 failed, 1 skipped');
  });

  it('counts a file whose hook failed as a failure although it has tests (they were skipped)', () => {
    const line = summaryLine([module('failed', ['skipped', 'skipped']), module('passed', ['passed'])], []);
    expect(line).toBe('tests: 1 passed, 1 failed, 2 skipped (1 file failed outside its tests)');
  });

  it('counts a file whose afterAll failed after all its tests passed', () => {
    expect(summaryLine([module('failed', ['passed'])], [])).toBe(
      'tests: 1 passed, 1 failed, 0 skipped (1 file failed outside its tests)',
    );
  });

  it('counts a file that failed to load (no tests collected)', () => {
    expect(summaryLine([module('failed', []), module('failed', [])], [])).toBe(
      'tests: 0 passed, 2 failed, 0 skipped (2 files failed outside their tests)',
    );
  });

  it('counts unhandled errors', () => {
    expect(summaryLine([module('passed', ['passed'])], [new Error('late rejection')])).toBe(
      'tests: 1 passed, 1 failed, 0 skipped (1 unhandled error)',
    );
  });

  it('does not count a file twice when one of its tests failed', () => {
    expect(summaryLine([module('failed', ['failed', 'passed'])], [])).toBe('tests: 1 passed, 1 failed, 0 skipped');
  });

  it('a file skipped for a missing prerequisite is no failure', () => {
    expect(summaryLine([module('skipped', ['skipped', 'skipped'])], [])).toBe('tests: 0 passed, 0 failed, 2 skipped');
  });
});
