/**
 * Issue 13.8 (DNS rebinding): the status endpoint answered any `Host`, so a web page whose name was rebound to
 * 127.0.0.1 could read /api/status, /metrics and the live stream. Raw HTTP requests with forged `Host` headers
 * against a real server: only the configured host, loopback names and `http.allowedHosts` are answered; others 421.
 */
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Autopilot, createAutopilot } from '../../../runtime/autopilot.js';
import { validateConfig } from '../../../runtime/config/load.js';
import { type HttpServer, startHttpServer } from '../../../runtime/http/server.js';
import { MemoryJournalStore } from '../../../runtime/journal/memory-store.js';
import { freePorts } from '../../../scripts/harness/free-ports.js';

let autopilot: Autopilot;
let server: HttpServer;

beforeAll(async () => {
  const [closed] = await freePorts(1);
  const resolved = validateConfig(
    {
      http: { enabled: true, port: 0, allowedHosts: ['status.example.com', 'proxy.example:8443'] },
      mailboxes: [{ id: 'desk', server: `imaps://127.0.0.1:${closed}`, user: 'desk@example.test', password: 'pw' }],
    },
    { baseDir: mkdtempSync(join(tmpdir(), 'http-host-')), env: {}, platform: 'linux' },
  );
  expect(resolved.http.allowedHosts).toEqual(['status.example.com', 'proxy.example:8443']);
  autopilot = createAutopilot(resolved, { journalStore: new MemoryJournalStore() });
  await autopilot.start();
  server = await startHttpServer(autopilot, resolved.http);
});
afterAll(async () => {
  await server?.stop();
  await autopilot?.stop({ deadlineMs: 1_000 });
});

/** Sends one raw request (the Host header exactly as given, or none) and resolves to the status code and body. */
function raw(path: string, host: string | null, version = '1.1'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, '127.0.0.1');
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      data += chunk;
      // The live stream never ends by itself: its status line and headers are enough.
      if (path === '/events' && data.includes('\r\n\r\n')) socket.destroy();
    });
    socket.on('error', reject);
    socket.on('close', () => {
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(data)?.[1]);
      resolve({ status, body: data.slice(data.indexOf('\r\n\r\n') + 4) });
    });
    const hostLine = host === null ? '' : `Host: ${host}\r\n`;
    socket.write(`GET ${path} HTTP/${version}\r\n${hostLine}Connection: close\r\n\r\n`);
  });
}

describe('Host header check (issue 13.8)', () => {
  it.each([
    'evil.example',
    'evil.example:PORT',
    '127.0.0.1.evil.example:PORT',
    'localhost.evil.example',
    'status.example.com.evil.example',
    'proxy.example:80',
    'proxy.example',
    '0.0.0.0:PORT',
    'localhost@evil.example',
  ])('answers 421 to Host: %s on every path', async (forged) => {
    const host = forged.replace('PORT', String(server.port));
    for (const path of ['/', '/api/status', '/metrics', '/healthz', '/events']) {
      const response = await raw(path, host);
      expect({ path, status: response.status }).toEqual({ path, status: 421 });
      expect(response.body).not.toContain('desk'); // not a byte of the status
    }
  });

  it('answers 421 to a request without Host (HTTP/1.0)', async () => {
    expect((await raw('/api/status', null, '1.0')).status).toBe(421);
  });

  it.each([
    '127.0.0.1:PORT',
    '127.0.0.1',
    'localhost:PORT',
    'LOCALHOST',
    'localhost.:PORT',
    '[::1]:PORT',
    '[::1]',
    'status.example.com',
    'status.example.com:443',
    'proxy.example:8443',
  ])('answers Host: %s', async (allowed) => {
    const response = await raw('/api/status', allowed.replace('PORT', String(server.port)));
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ mailboxes: [{ mailboxId: 'desk' }] });
  });
});
