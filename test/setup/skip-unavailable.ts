/**
 * vitest setup file (runs before each test file, issue 13.12): when the file's modules declared a need
 * (`test/setup/needs.ts`) that the global setup found unavailable, the whole file is skipped with the reason,
 * before any of its own `beforeAll` hooks could fail with a stack trace.
 *
 * @module
 */
import { beforeAll, inject } from 'vitest';
import { declaredTestNeeds } from '../../scripts/harness/needs.js';

// Each test file starts with no needs declared (a worker may run several files).
declaredTestNeeds().clear();

interface SkippableTask {
  readonly type: string;
  readonly tasks?: readonly SkippableTask[];
  readonly context?: { skip(note: string): never };
}

function firstTest(tasks: readonly SkippableTask[]): SkippableTask | undefined {
  for (const task of tasks) {
    if (task.type === 'test') return task;
    const nested = firstTest(task.tasks ?? []);
    if (nested) return nested;
  }
  return undefined;
}

// Registered before the file's own hooks, so it runs first. Skipping from a file-level beforeAll (by the pending
// error a test context's skip() throws) marks every test of the file skipped with the note, and runs no other
// beforeAll of the file; its afterAll hooks still run (they guard with `servers?.stop()`).
// biome-ignore lint/correctness/noEmptyPattern: vitest requires a destructuring pattern for the fixture argument
beforeAll(({}, file) => {
  const unavailable = inject('unavailable') ?? {};
  for (const need of declaredTestNeeds()) {
    const reason = unavailable[need];
    if (reason) firstTest((file as unknown as SkippableTask).tasks ?? [])?.context?.skip(reason);
  }
});
