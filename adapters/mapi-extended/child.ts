/**
 * The Extended MAPI flavour of the bridge child: the Outlook driver over winax, or over the test fake named by the
 * parent (tests only).
 *
 * @module
 */
import type { FakeBackendLocation, MapiDriver } from '../mapi/driver.js';
import { createOutlookDriver } from './driver.js';
import type { OutlookApplication } from './outlook-types.js';

/** What a fake Outlook module exports (test/adapters/mapi/fakes/outlook-fake.ts). */
interface FakeOutlookModule {
  createOutlookApplication(store: string): OutlookApplication;
}

/**
 * Loads the driver: the fake when given, else winax (Windows only).
 *
 * @example
 * ```ts
 * const driver = await loadDriver(undefined);
 * ```
 */
export async function loadDriver(fake: FakeBackendLocation | undefined): Promise<MapiDriver> {
  if (fake) {
    const module = (await import(fake.module)) as FakeOutlookModule;
    return createOutlookDriver(() => module.createOutlookApplication(fake.store));
  }
  const { loadOutlookApplication } = await import('./winax-backend.js');
  return createOutlookDriver(loadOutlookApplication());
}
