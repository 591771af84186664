/**
 * A vitest reporter that ends the run with one plain line, `tests: N passed, N failed, N skipped`, which CI and
 * people can read without knowing vitest's own summary format.
 *
 * "0 failed" never comes with a failing exit code (issue 13.12): a file that failed outside its tests — it did not
 * load, or a `beforeAll`/`afterAll` hook threw, so its tests were skipped or passed — counts as one failure, and so
 * does every unhandled error. The line then says how many of the failures are such files and errors.
 */
import type { Reporter, TestModule } from 'vitest/node';

/**
 * What the summary needs of a test module (vitest's `TestModule` has it).
 *
 * @example
 * ```ts
 * const module: SummaryModule = { state: () => 'failed', children: { allTests: () => [] } };
 * ```
 */
export interface SummaryModule {
  state(): string;
  readonly children: { allTests(): Iterable<{ result(): { readonly state: string } }> };
}

/**
 * The closing line for these modules and unhandled errors.
 *
 * @example
 * ```ts
 * summaryLine([], [new Error('boom')]); // 'tests: 0 passed, 1 failed, 0 skipped (1 unhandled error)'
 * ```
 */
export function summaryLine(modules: Iterable<SummaryModule>, unhandledErrors: ReadonlyArray<unknown>): string {
  let passed = 0;
  let failedTests = 0;
  let skipped = 0;
  let failedFiles = 0;
  for (const module of modules) {
    let failedHere = 0;
    for (const test of module.children.allTests()) {
      const state = test.result().state;
      if (state === 'passed') passed += 1;
      else if (state === 'failed') failedHere += 1;
      else skipped += 1;
    }
    failedTests += failedHere;
    // A failed file none of whose tests failed: it failed to load, or a hook of it threw.
    if (failedHere === 0 && module.state() === 'failed') failedFiles += 1;
  }
  const failed = failedTests + failedFiles + unhandledErrors.length;
  const outside = [
    ...(failedFiles > 0
      ? [
          `${failedFiles} file${failedFiles === 1 ? '' : 's'} failed outside ${failedFiles === 1 ? 'its' : 'their'} tests`,
        ]
      : []),
    ...(unhandledErrors.length > 0
      ? [`${unhandledErrors.length} unhandled error${unhandledErrors.length === 1 ? '' : 's'}`]
      : []),
  ];
  return `tests: ${passed} passed, ${failed} failed, ${skipped} skipped${outside.length > 0 ? ` (${outside.join(', ')})` : ''}`;
}

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    process.stdout.write(`\n${summaryLine(testModules, unhandledErrors)}\n`);
  }
}
