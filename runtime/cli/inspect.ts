/**
 * `mail-autopilot inspect --config FILE [--port N]`: runs the autopilot like `run`, with the Stately inspector
 * attached: a local page (loopback only, never opened automatically) shows every mailbox actor live. Credentials and
 * mail content are redacted before anything leaves the actors.
 *
 * @module
 */
import { parseArgs } from 'node:util';
import { EXIT_CODES } from './exit-codes.js';
import { runRunCommand } from './run.js';
import type { CliDeps, CliIo } from './types.js';

export const INSPECT_HELP = `Usage: mail-autopilot inspect --config FILE [--port N] [--service]

Runs the autopilot (as \`run\` does) with the Stately inspector attached. Open the
printed URL in a browser to watch each mailbox actor's state, context and events.
The inspector server listens on 127.0.0.1 only and opens no browser by itself.

Options:
  -c, --config FILE   the configuration file
  -p, --port N        port of the local inspector page (default 8090)
      --service       service mode, as with run
  -h, --help          show this help
`;

/**
 * Runs `inspect`.
 *
 * @example
 * ```ts
 * const code = await runInspectCommand(['--config', 'autopilot.yaml', '--port', '8090'], io, deps);
 * ```
 */
export async function runInspectCommand(args: readonly string[], io: CliIo, deps: CliDeps): Promise<number> {
  let values: { config?: string; port?: string; service?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        config: { type: 'string', short: 'c' },
        port: { type: 'string', short: 'p' },
        service: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    io.stderr(`mail-autopilot inspect: ${(error as Error).message}\n\n${INSPECT_HELP}`);
    return EXIT_CODES.USAGE;
  }
  if (values.help) {
    io.stdout(INSPECT_HELP);
    return EXIT_CODES.OK;
  }
  const port = values.port === undefined ? 8090 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    io.stderr(`mail-autopilot inspect: --port expects a port number, got ${JSON.stringify(values.port)}\n`);
    return EXIT_CODES.USAGE;
  }
  const { attachInspector } = await import('../inspect.js'); // @statelyai/inspect and ws: only for this command
  const inspector = await attachInspector({ port });
  io.stdout(`Stately inspector: open ${inspector.url} in a browser\n`);
  try {
    const runArgs = ['--config', values.config ?? '', ...(values.service ? ['--service'] : [])];
    return await runRunCommand(values.config ? runArgs : [], io, { ...deps, inspect: inspector.inspect });
  } finally {
    inspector.stop();
  }
}
