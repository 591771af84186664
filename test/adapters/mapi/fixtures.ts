/**
 * Test fixtures of the MAPI adapters: a fake store in a temporary directory and services whose bridge child runs
 * the fake named here (the only place that sets the test-only `bridge.fake` option).
 *
 * @module
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DiscoveredMessage, DiscoverySink, HandledLookup, MailSession } from '../../../adapters/contract.js';
import type { MapiMailboxConfig } from '../../../adapters/mapi/config.js';
import type { MapiMailService } from '../../../adapters/mapi/service.js';
import { createMapiExtendedService } from '../../../adapters/mapi-extended/index.js';
import { createMapiSimpleService } from '../../../adapters/mapi-simple/index.js';
import { mapiDefaults } from '../../../scripts/harness/adapter-settings.js';
import { type FakeConfig, FakeMailStore } from './fakes/fake-store.js';

/** The fake backend modules, by flavour. */
export const FAKE_MODULES = {
  extended: fileURLToPath(new URL('./fakes/outlook-fake.ts', import.meta.url)),
  simple: fileURLToPath(new URL('./fakes/simple-mapi-fake.ts', import.meta.url)),
} as const;

/** A fake mailbox and a way to make services on it. */
export interface FakeMapiMailbox {
  readonly store: FakeMailStore;
  readonly dir: string;
  service(config?: Partial<MapiMailboxConfig>, handled?: HandledLookup): MapiMailService;
  dispose(): void;
}

const NOTHING_HANDLED: HandledLookup = { isHandled: () => false };

/**
 * A new fake store and a service factory for one flavour.
 *
 * @example
 * ```ts
 * const box = fakeMapiMailbox('simple');
 * const session = await box.service({ unreadOnly: true }).connect(new AbortController().signal);
 * ```
 */
export function fakeMapiMailbox(flavour: 'extended' | 'simple', config: Partial<FakeConfig> = {}): FakeMapiMailbox {
  const dir = mkdtempSync(join(tmpdir(), `mapi-fake-${flavour}-`));
  const store = FakeMailStore.create(dir, config);
  return {
    store,
    dir,
    service(overrides = {}, handled = NOTHING_HANDLED) {
      const base: MapiMailboxConfig = {
        ...mapiDefaults(),
        id: `fake-${flavour}`,
        profile: '',
        pollIntervalMs: 100,
        callTimeoutMs: 5_000,
        connectTimeoutMs: 20_000,
        ...overrides,
        bridge: { fake: { module: FAKE_MODULES[flavour], store: dir } },
      };
      return flavour === 'extended'
        ? createMapiExtendedService(base, { handled })
        : createMapiSimpleService(base, { handled });
    },
    dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Runs a session's watch until the first pass is over; returns what was discovered (the watch is aborted after).
 *
 * @example
 * ```ts
 * const found = await firstPass(session);
 * ```
 */
export async function firstPass(
  session: MailSession,
  onMessage?: (message: DiscoveredMessage) => Promise<void> | void,
): Promise<DiscoveredMessage[]> {
  const found: DiscoveredMessage[] = [];
  const abort = new AbortController();
  const sink: DiscoverySink = {
    next: async (message) => {
      found.push(message);
      await onMessage?.(message);
    },
    caughtUp: () => abort.abort(),
  };
  await session.watch(sink, abort.signal);
  return found;
}

/**
 * Whether a process is still alive.
 *
 * @example
 * ```ts
 * expect(processAlive(pid)).toBe(false);
 * ```
 */
export function processAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
