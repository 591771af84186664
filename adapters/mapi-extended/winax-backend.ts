/**
 * The real Outlook object model, through the optional `winax` package (Windows only, loaded only inside the bridge
 * child on Windows). Nothing here runs on Linux: it is the last inch the Windows workflow covers
 * (.github/workflows/windows-mapi.yml).
 *
 * @module
 */
import { createRequire } from 'node:module';
import { BridgeFailureError } from '../mapi/protocol.js';
import type { OutlookApplication } from './outlook-types.js';

interface Winax {
  Object: new (progId: string) => unknown;
}

/**
 * Loads winax and returns a factory of `Outlook.Application` (a running Outlook is attached to, else started).
 * Throws a BridgeFailureError of kind `unavailable` when not on Windows or winax is not installed.
 *
 * @example
 * ```ts
 * const open = loadOutlookApplication();
 * const app = open(); // COM: CoCreateInstance("Outlook.Application")
 * ```
 */
export function loadOutlookApplication(): () => OutlookApplication {
  if (process.platform !== 'win32') {
    throw new BridgeFailureError({
      kind: 'unavailable',
      message: `Extended MAPI needs Windows with Outlook (SPEC S1); this system is ${process.platform}`,
    });
  }
  let winax: Winax;
  try {
    // winax is an optional native dependency: required lazily so that other platforms never load it.
    winax = createRequire(import.meta.url)('winax') as Winax;
  } catch (error) {
    throw new BridgeFailureError({
      kind: 'unavailable',
      message: `the optional package winax is not installed (npm install winax): ${(error as Error).message}`,
    });
  }
  return () => new winax.Object('Outlook.Application') as OutlookApplication;
}
