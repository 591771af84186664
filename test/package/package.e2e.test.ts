/**
 * The package as a user consumes it after `npm run build`: `import { mailboxMachine } from 'mail-autopilot'` from a
 * project that has it in node_modules, and the `mail-autopilot` bin.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const consumer = mkdtempSync(join(tmpdir(), 'mail-autopilot-consumer-'));
mkdirSync(join(consumer, 'node_modules'));
symlinkSync(root, join(consumer, 'node_modules', 'mail-autopilot'), 'dir');
// xstate resolves from the package's own node_modules through the symlink's real path.

afterAll(() => rmSync(consumer, { recursive: true, force: true }));

describe('the built package', () => {
  it('exports mailboxMachine from its main entry; a SimulatedClock drives it to stopped after 14 attempts', () => {
    const script = `
      import { createActor, SimulatedClock } from '${join(root, 'node_modules/xstate/dist/xstate.esm.js')}';
      import { mailboxMachine, RECONNECT_SCHEDULE_MS } from 'mail-autopilot';
      const clock = new SimulatedClock();
      const actor = createActor(mailboxMachine, { input: { mailboxId: 'consumer' }, clock }).start();
      const settle = () => new Promise((r) => setImmediate(r));
      for (let i = 0; i < 3; i++) await settle();
      for (const wait of RECONNECT_SCHEDULE_MS) { clock.increment(wait); for (let i = 0; i < 3; i++) await settle(); }
      const { value, context } = actor.getSnapshot();
      console.log(JSON.stringify({ value, attempts: context.totalAttempts, code: context.lastError?.code }));
    `;
    writeFileSync(join(consumer, 'check.mjs'), script);
    const output = execFileSync(process.execPath, ['check.mjs'], { cwd: consumer, encoding: 'utf8' });
    expect(JSON.parse(output)).toEqual({ value: 'stopped', attempts: 14, code: 'NO_ADAPTER' });
  });

  it('ships type declarations for the main entry', () => {
    const output = execFileSync(
      process.execPath,
      ['-e', "console.log(require.resolve('mail-autopilot/package.json'))"],
      { cwd: consumer, encoding: 'utf8' },
    );
    const pkg = JSON.parse(readFileSync(output.trim(), 'utf8')) as {
      exports: Record<string, { types: string }>;
      bin: Record<string, string>;
    };
    expect(pkg.exports['.']?.types).toBe('./dist/index.d.ts');
    expect(readFileSync(join(root, 'dist/index.d.ts'), 'utf8')).toContain("export * from './machines/index.js'");
    expect(readFileSync(join(root, 'dist/machines/index.d.ts'), 'utf8')).toContain('mailboxMachine');
    expect(pkg.bin['mail-autopilot']).toBe('./dist/runtime/cli/bin.js');
  });

  it('has a mail-autopilot bin that answers --version and --help', () => {
    const bin = join(root, 'dist/runtime/cli/bin.js');
    expect(execFileSync(process.execPath, [bin, '--version'], { encoding: 'utf8' }).trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(execFileSync(process.execPath, [bin, '--help'], { encoding: 'utf8' })).toContain('Usage: mail-autopilot');
  });
});
