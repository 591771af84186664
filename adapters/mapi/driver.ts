/**
 * The child-side contract of a MAPI backend: a driver answers the bridge operations of adapters/mapi/types.ts by
 * synchronous MAPI/COM calls (winax and koffi calls block the thread, and so do the fakes that stand in for them).
 *
 * @module
 */
import type { MapiOp, MapiOps } from './types.js';

/**
 * A backend driver inside the bridge child.
 *
 * @example
 * ```ts
 * const driver: MapiDriver = createSimpleMapiDriver(api);
 * driver.handle('logon', { profile: 'Support', folder: 'INBOX' });
 * ```
 */
export interface MapiDriver {
  /** Runs one operation; throws a BridgeFailureError or the backend's own error (typed by the parent). */
  handle<K extends MapiOp>(op: K, args: MapiOps[K]['args']): MapiOps[K]['result'];
  /** Logs off if logged on; called when the parent closes stdin. Never throws. */
  close(): void;
}

/**
 * Where a test fake is and which mailbox directory it serves (given to the child by tests only).
 *
 * @example
 * ```ts
 * const fake: FakeBackendLocation = { module: '/repo/test/adapters/mapi/fakes/simple-mapi-fake.ts', store: '/tmp/s' };
 * ```
 */
export interface FakeBackendLocation {
  readonly module: string;
  readonly store: string;
}

/**
 * What a flavour module (`mapi-extended/child.ts`, `mapi-simple/child.ts`) exports to the bridge child.
 *
 * @example
 * ```ts
 * const flavour: FlavourModule = await import('../mapi-simple/child.js');
 * const driver = await flavour.loadDriver(undefined); // koffi + MAPI32.DLL on Windows
 * ```
 */
export interface FlavourModule {
  loadDriver(fake: FakeBackendLocation | undefined): Promise<MapiDriver>;
}
