/**
 * The MAPI bridge child: `node bridge-child.js --flavour=extended|simple`. It loads one backend (the Outlook object
 * model through winax, or MAPI32.DLL through koffi; a test fake when `--fake-module` is given), says `ready`, then
 * answers one JSON request per line on stdin with one JSON line on stdout, in order, every call on this one thread.
 * It exits when stdin closes. A hung call is never interrupted here: the parent kills the process.
 *
 * @module
 */
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import type { FakeBackendLocation, FlavourModule, MapiDriver } from './driver.js';
import {
  type BridgeFailure,
  type BridgeHello,
  type BridgeResponse,
  decodeRequestLine,
  encodeLine,
  toBridgeFailure,
} from './protocol.js';
import type { MapiFlavour } from './types.js';

/** The protocol owns stdout: libraries that print go to stderr instead. */
const writeOut = process.stdout.write.bind(process.stdout);
console.log = console.error;
console.info = console.error;
console.warn = console.error;
console.debug = console.error;

function argument(name: string): string | undefined {
  const prefix = `--${name}=`;
  return process.argv.find((arg) => arg.startsWith(prefix))?.slice(prefix.length);
}

function send(message: BridgeResponse | BridgeHello): void {
  writeOut(encodeLine(message));
}

async function loadDriver(flavour: MapiFlavour, fake: FakeBackendLocation | undefined): Promise<MapiDriver> {
  const module: FlavourModule =
    flavour === 'extended' ? await import('../mapi-extended/child.js') : await import('../mapi-simple/child.js');
  return module.loadDriver(fake);
}

async function main(): Promise<void> {
  const flavourArg = argument('flavour');
  if (flavourArg !== 'extended' && flavourArg !== 'simple') {
    process.stderr.write(`bridge-child: --flavour=extended|simple required, got ${String(flavourArg)}\n`);
    process.exit(2);
  }
  const flavour: MapiFlavour = flavourArg;
  const fakeModule = argument('fake-module');
  const fakeStore = argument('fake-store');
  const fake = fakeModule && fakeStore ? { module: pathToFileURL(fakeModule).href, store: fakeStore } : undefined;

  let driver: MapiDriver | null = null;
  let loadError: BridgeFailure | null = null;
  try {
    driver = await loadDriver(flavour, fake);
  } catch (error) {
    const failure = toBridgeFailure(error);
    loadError = failure.kind === 'internal' ? { kind: 'unavailable', message: failure.message } : failure;
  }
  send({ ready: true, flavour, pid: process.pid, fake: fake !== undefined, error: loadError });

  const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  lines.on('line', (line) => {
    const request = decodeRequestLine(line);
    if (request === null) return;
    if (driver === null) {
      send({ id: request.id, ok: false, error: loadError ?? { kind: 'unavailable', message: 'no backend' } });
      return;
    }
    try {
      const result = driver.handle(request.op, request.args as never);
      send({ id: request.id, ok: true, result: result ?? null });
    } catch (error) {
      send({ id: request.id, ok: false, error: toBridgeFailure(error) });
    }
  });
  lines.on('close', () => {
    driver?.close();
    process.exit(0);
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`bridge-child: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
