/**
 * The status page (issue 6, item 5): one HTML document with its CSS and script inline and the state diagram as SVG,
 * so it needs nothing but this server. A Content-Security-Policy allows exactly the inline style and script by
 * their hashes and connections to this origin only.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { mailboxMachine } from '../../machines/mailbox.machine.js';
import { PAGE_SCRIPT } from './page-script.js';
import { stateDiagramDefs, stateDiagramSvg } from './state-diagram-svg.js';

const PAGE_STYLE = `
:root { color-scheme: light; --ink: #1f2937; --muted: #4b5563; --line: #d1d5db; --bg: #f3f4f6; --card: #ffffff; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, "DejaVu Sans", sans-serif; color: var(--ink); background: var(--bg); }
body > header { padding: 16px 24px 8px; }
h1 { margin: 0 0 6px; font-size: 1.5rem; }
.overall { margin: 0 0 4px; padding: 6px 10px; border-radius: 6px; font-weight: 600; display: inline-block; }
.meta { margin: 4px 0 0; color: var(--muted); }
.meta a { color: #1d4ed8; }
.live.on { color: #166534; font-weight: 600; }
.live.off { color: #9a3412; font-weight: 600; }
main { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 16px; padding: 8px 24px 24px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; }
.card[data-health="failing"] { border-color: #b91c1c; border-width: 2px; }
.card-head { display: flex; align-items: center; justify-content: space-between; gap: 8px; }
.card h2 { margin: 0; font-size: 1.2rem; }
.service { font-size: 0.8rem; font-weight: 500; color: var(--muted); border: 1px solid var(--line); border-radius: 4px; padding: 0 5px; }
.badge { font-weight: 700; padding: 2px 10px; border-radius: 999px; border: 1px solid transparent; }
.state-connecting { background: #dbeafe; color: #1e3a8a; border-color: #93c5fd; }
.state-polling { background: #dcfce7; color: #14532d; border-color: #86efac; }
.state-backoff { background: #fef3c7; color: #78350f; border-color: #fcd34d; }
.state-unlimitedRetry { background: #ffedd5; color: #7c2d12; border-color: #fdba74; }
.state-stopped { background: #fee2e2; color: #7f1d1d; border-color: #fca5a5; }
.state-unknown { background: #e5e7eb; color: #374151; }
.health { margin: 8px 0; padding: 6px 10px; border-radius: 6px; }
.health-ok { background: #dcfce7; color: #14532d; }
.health-degraded { background: #fef3c7; color: #78350f; }
.health-failing { background: #fee2e2; color: #7f1d1d; font-weight: 600; }
.health-notRunning { background: #e5e7eb; color: #374151; }
.diagram { margin: 4px 0; }
.state-diagram { width: 100%; height: auto; display: block; }
.sd-defs { position: absolute; }
.sd-edge path { fill: none; stroke: #6b7280; stroke-width: 1.4; }
.sd-edge text { font-size: 10.5px; fill: #374151; }
.sd-initial circle { fill: #374151; }
.sd-initial path { stroke: #6b7280; stroke-width: 1.4; }
.sd-caption { font-size: 10.5px; fill: #4b5563; font-style: italic; }
.sd-state rect { fill: #f9fafb; stroke: #9ca3af; stroke-width: 1.5; }
.sd-state text { font-size: 13px; fill: #374151; }
.sd-state.current rect { stroke-width: 3.5; }
.sd-state.current text { font-weight: 700; fill: #111827; }
.sd-connecting.current rect { fill: #bfdbfe; stroke: #1d4ed8; }
.sd-polling.current rect { fill: #bbf7d0; stroke: #15803d; }
.sd-backoff.current rect { fill: #fde68a; stroke: #b45309; }
.sd-unlimitedRetry.current rect { fill: #fed7aa; stroke: #c2410c; }
.sd-stopped.current rect { fill: #fecaca; stroke: #b91c1c; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 8px 0; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; overflow-wrap: anywhere; }
.facts [hidden] { display: none; }
code { font-family: "DejaVu Sans Mono", monospace; background: #f3f4f6; padding: 0 4px; border-radius: 3px; }
.counters { border-collapse: collapse; width: 100%; margin: 8px 0; text-align: center; }
.counters caption { text-align: left; color: var(--muted); padding-bottom: 2px; }
.counters th { font-weight: 500; font-size: 0.8rem; color: var(--muted); border-bottom: 1px solid var(--line); padding: 2px 4px; }
.counters td { font-size: 1.15rem; font-weight: 600; padding: 2px 4px; }
.card h3 { margin: 10px 0 4px; font-size: 1rem; }
.events { list-style: none; margin: 0; padding: 0; max-height: 320px; overflow-y: auto; font-size: 0.9rem; }
.events li { padding: 2px 0; border-bottom: 1px solid #e5e7eb; }
.events time { color: var(--muted); font-variant-numeric: tabular-nums; }
.events .mail { color: #1e3a8a; overflow-wrap: anywhere; }
`;

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/**
 * The Content-Security-Policy of the page: nothing but its own inline style and script (by hash) and connections to
 * its own origin (`/events`).
 *
 * @example
 * ```ts
 * response.setHeader('content-security-policy', PAGE_CSP);
 * ```
 */
export const PAGE_CSP = [
  "default-src 'none'",
  `style-src ${sha256(PAGE_STYLE)}`,
  `script-src ${sha256(PAGE_SCRIPT)}`,
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

let cached: string | undefined;

/**
 * The status page's HTML. The cards are built by the script from `/events`; the page itself holds no data.
 *
 * @example
 * ```ts
 * response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': PAGE_CSP });
 * response.end(statusPageHtml());
 * ```
 */
export function statusPageHtml(): string {
  cached ??= `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mail-autopilot status</title>
<style>${PAGE_STYLE}</style>
</head>
<body>
${stateDiagramDefs()}
<header>
<h1>mail-autopilot status</h1>
<p id="overall" class="overall" role="status" aria-live="polite">Loading…</p>
<p class="meta"><span id="live" class="live">Connecting…</span> · <a href="healthz">/healthz</a> · <a href="metrics">/metrics</a> · <a href="api/status">/api/status</a></p>
</header>
<main id="cards" aria-label="Mailboxes"></main>
<noscript><p>The live view needs JavaScript; <a href="api/status">/api/status</a> has the same data as JSON.</p></noscript>
<template id="diagram-template">${stateDiagramSvg(mailboxMachine)}</template>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
  return cached;
}
