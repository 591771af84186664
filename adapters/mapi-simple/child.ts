/**
 * The Simple MAPI flavour of the bridge child: the driver over MAPI32.DLL (koffi), or over the test fake named by
 * the parent (tests only).
 *
 * @module
 */
import type { FakeBackendLocation, MapiDriver } from '../mapi/driver.js';
import type { SimpleMapiApi } from './api.js';
import { createSimpleMapiDriver } from './driver.js';

/** What a fake Simple MAPI module exports (test/adapters/mapi/fakes/simple-mapi-fake.ts). */
interface FakeSimpleMapiModule {
  createSimpleMapi(store: string): SimpleMapiApi;
}

/**
 * Loads the driver: the fake when given, else koffi and MAPI32.DLL (Windows only).
 *
 * @example
 * ```ts
 * const driver = await loadDriver(undefined);
 * ```
 */
export async function loadDriver(fake: FakeBackendLocation | undefined): Promise<MapiDriver> {
  if (fake) {
    const module = (await import(fake.module)) as FakeSimpleMapiModule;
    return createSimpleMapiDriver(module.createSimpleMapi(fake.store));
  }
  const { loadMapi32 } = await import('./koffi-backend.js');
  return createSimpleMapiDriver(await loadMapi32());
}
