/**
 * A local Stately inspector server: serves a page that embeds Stately's inspector and relays inspection events from
 * the process to it over a WebSocket. Unlike `@statelyai/inspect/server`, it listens on loopback only, never opens a
 * browser, and never keeps the process alive (its sockets are unref'd), so a stopped autopilot exits.
 *
 * @module
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';

/**
 * A running inspector server.
 *
 * @example
 * ```ts
 * const server = await startInspectorServer({ port: 0 });
 * console.log(`open http://127.0.0.1:${server.port}`);
 * server.stop();
 * ```
 */
export interface InspectorServer {
  readonly port: number;
  readonly host: string;
  stop(): void;
}

/** How many recent events a browser that connects late still gets. */
const REPLAY_EVENTS = 200;

function bridgePage(wsUrl: string, inspectorUrl: string): string {
  return `<!DOCTYPE html>
<html><head><title>mail-autopilot: Stately inspector</title>
<style>html,body{height:100%;margin:0}iframe{width:100%;height:100%;border:0}</style></head>
<body><iframe id="inspector" src="${inspectorUrl}"></iframe>
<script>
const frame = document.getElementById('inspector');
const pending = [];
let ready = false;
addEventListener('message', (e) => {
  if (e.data && e.data.type === '@statelyai.connected') { ready = true; pending.splice(0).forEach((m) => frame.contentWindow.postMessage(m, '*')); }
});
const ws = new WebSocket(${JSON.stringify(wsUrl)});
ws.onmessage = (e) => { const data = JSON.parse(e.data); ready ? frame.contentWindow.postMessage(data, '*') : pending.push(data); };
</script></body></html>`;
}

/**
 * Starts the server on `host` (default 127.0.0.1) and `port` (0 picks a free one).
 *
 * @example
 * ```ts
 * const server = await startInspectorServer({ port: 8090 });
 * ```
 */
export async function startInspectorServer(
  options: { port?: number; host?: string; inspectorUrl?: string } = {},
): Promise<InspectorServer> {
  const host = options.host ?? '127.0.0.1';
  const inspectorUrl = options.inspectorUrl ?? 'https://stately.ai/inspect';
  let wsUrl = '';
  const server = http.createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(bridgePage(wsUrl, inspectorUrl));
  });
  server.on('connection', (socket) => socket.unref());
  const wss = new WebSocketServer({ server });
  const recent: string[] = [];
  wss.on('connection', (client) => {
    for (const message of recent) client.send(message);
    client.on('message', (data) => {
      const message = data.toString();
      recent.push(message);
      if (recent.length > REPLAY_EVENTS) recent.shift();
      for (const other of wss.clients) {
        if (other !== client && other.readyState === WebSocket.OPEN) other.send(message);
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  server.unref();
  const port = (server.address() as AddressInfo).port;
  wsUrl = `ws://${host}:${port}`;
  return {
    port,
    host,
    stop() {
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.close();
      server.closeAllConnections();
    },
  };
}
