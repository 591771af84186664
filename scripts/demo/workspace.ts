/**
 * The demo's working directory: a copy of docs/examples/demo.yaml with this run's server ports, the example
 * handlers, and the test servers' CA certificate. The journal, the log, bounces.log and the tickets land there
 * too, and it is kept after the demo so that a person can look at them.
 *
 * @module
 */
import { copyFileSync, cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';

/**
 * The ports of the test servers, by URL scheme.
 *
 * @example
 * ```ts
 * const ports: SchemePorts = { imap: 1143, imaps: 1993, pop3: 1110, pop3s: 1995, smtp: 1587, smtps: 1465 };
 * ```
 */
export type SchemePorts = Readonly<Record<'imap' | 'imaps' | 'pop3' | 'pop3s' | 'smtp' | 'smtps', number>>;

/**
 * The prepared directory.
 *
 * @example
 * ```ts
 * const ws = prepareWorkspace({ exampleConfig, handlersDir, caFile, ports });
 * console.log(ws.configFile); // /tmp/mail-autopilot-demo-XXXXXX/demo.yaml
 * ```
 */
export interface DemoWorkspace {
  readonly dir: string;
  readonly configFile: string;
  /** Where the autopilot's JSON log lines go. */
  readonly logFile: string;
}

/**
 * Options of {@link prepareWorkspace}.
 *
 * @example
 * ```ts
 * const options: WorkspaceOptions = { exampleConfig: 'docs/examples/demo.yaml', handlersDir: 'docs/examples/handlers', caFile, ports };
 * ```
 */
export interface WorkspaceOptions {
  readonly exampleConfig: string;
  readonly handlersDir: string;
  readonly caFile: string;
  readonly ports: SchemePorts;
  /** Port of the HTTP status page, written into `http.port` (with `http.enabled: true`) when given. */
  readonly httpPort?: number;
  /** Parent directory of the working directory. Default: the system's temp directory. */
  readonly parent?: string;
}

/**
 * Points a server URL of the example at the test server of its scheme (`imaps://127.0.0.1:10993` → this run's
 * IMAPS port). Throws when the value is not a URL of a scheme the test servers offer.
 *
 * @example
 * ```ts
 * withTestPort('imaps://127.0.0.1:10993', ports, 'mailboxes[0].server'); // 'imaps://127.0.0.1:40123'
 * ```
 */
export function withTestPort(value: unknown, ports: SchemePorts, where: string): string {
  const match = typeof value === 'string' ? /^([a-z0-9]+):\/\/127\.0\.0\.1(?::\d+)?$/.exec(value) : null;
  const scheme = match?.[1] as keyof SchemePorts | undefined;
  if (!scheme || !(scheme in ports)) {
    throw new Error(
      `${where} of the demo config must be a URL like imaps://127.0.0.1:10993 for the local test servers, got ${JSON.stringify(value)}`,
    );
  }
  return `${scheme}://127.0.0.1:${ports[scheme]}`;
}

/**
 * Creates the working directory: the config (comments kept, server ports replaced), `handlers/`, `ca.pem`.
 *
 * @example
 * ```ts
 * const ws = prepareWorkspace({ exampleConfig, handlersDir, caFile: servers.caFile, ports: { ...servers.ports } });
 * ```
 */
export function prepareWorkspace(options: WorkspaceOptions): DemoWorkspace {
  const dir = mkdtempSync(join(options.parent ?? tmpdir(), 'mail-autopilot-demo-'));
  const doc = parseDocument(readFileSync(options.exampleConfig, 'utf8'));
  const mailboxes = doc.getIn(['mailboxes']) as { items?: unknown[] } | undefined;
  const count = mailboxes?.items?.length ?? 0;
  for (let i = 0; i < count; i++) {
    for (const path of [
      ['mailboxes', i, 'server'],
      ['mailboxes', i, 'smtp', 'server'],
    ]) {
      if (!doc.hasIn(path)) continue;
      doc.setIn(path, withTestPort(doc.getIn(path), options.ports, path.join('.')));
    }
  }
  if (options.httpPort !== undefined) {
    doc.setIn(['http', 'enabled'], true);
    doc.setIn(['http', 'port'], options.httpPort);
  }
  const configFile = join(dir, 'demo.yaml');
  writeFileSync(configFile, doc.toString({ lineWidth: 0 }));
  cpSync(options.handlersDir, join(dir, 'handlers'), { recursive: true });
  copyFileSync(options.caFile, join(dir, 'ca.pem'));
  return { dir, configFile, logFile: join(dir, 'autopilot.log') };
}
