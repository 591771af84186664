/**
 * The mailbox machine drawn as an inline SVG for the status page, generated on the server from the machine's
 * definition (`machineEdges`, the same source as docs/mailbox-states.mmd), so the page needs no script library, no
 * CDN and no network. Each state is a `<g data-state="…">`; the page marks the current one with the class `current`.
 *
 * @module
 */
import type { AnyStateMachine } from 'xstate';
import { machineEdges } from '../diagram.js';

interface Point {
  readonly x: number;
  readonly y: number;
}

const WIDTH = 540;
const HEIGHT = 270;
const NODE_W = 118;
const NODE_H = 32;

/**
 * Hand-placed positions of the S12 states (centres): `connecting` in the middle, since every other state is one
 * step from it, and `polling` above `backoff` so that the loss of a connection crosses no other edge. Any other
 * state goes into a row at the bottom.
 */
const LAYOUT: Readonly<Record<string, Point>> = {
  connecting: { x: 270, y: 135 },
  polling: { x: 460, y: 60 },
  backoff: { x: 460, y: 215 },
  unlimitedRetry: { x: 80, y: 60 },
  stopped: { x: 80, y: 215 },
};

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Where the segment from a node's centre towards `toward` leaves the node's rectangle. */
function border(center: Point, toward: Point): Point {
  const dx = toward.x - center.x;
  const dy = toward.y - center.y;
  if (dx === 0 && dy === 0) return center;
  const t = Math.min(dx === 0 ? Infinity : NODE_W / 2 / Math.abs(dx), dy === 0 ? Infinity : NODE_H / 2 / Math.abs(dy));
  return { x: center.x + dx * t, y: center.y + dy * t };
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

/**
 * One edge as a quadratic curve bent to the right of its direction, so that the two directions between a pair of
 * states never overlap; its label sits at the curve's middle.
 */
function edgePath(from: Point, to: Point, bend: number): { d: string; label: Point } {
  const mid = { x: (from.x + to.x) / 2, y: (from.y + to.y) / 2 };
  const length = Math.hypot(to.x - from.x, to.y - from.y) || 1;
  const normal = { x: -(to.y - from.y) / length, y: (to.x - from.x) / length };
  const control = { x: mid.x + normal.x * bend, y: mid.y + normal.y * bend };
  const start = border(from, control);
  const end = border(to, control);
  // The label sits just outside the curve's middle, on the side it bends to, so the two labels of a pair part.
  const label = {
    x: 0.25 * start.x + 0.5 * control.x + 0.25 * end.x + normal.x * 12,
    y: 0.25 * start.y + 0.5 * control.y + 0.25 * end.y + normal.y * 12 + 4,
  };
  return {
    d: `M${round(start.x)},${round(start.y)} Q${round(control.x)},${round(control.y)} ${round(end.x)},${round(end.y)}`,
    label,
  };
}

/**
 * The diagram of a machine's top-level states as SVG markup. Transitions on `STOP` (from every state to `stopped`)
 * are left out of the drawing and named in the caption instead: they would cross everything else. Each edge's
 * `<title>` holds all its events and its guard. The arrowhead marker (`#sd-arrow`) is defined once per page by
 * {@link stateDiagramDefs}.
 *
 * @example
 * ```ts
 * const svg = stateDiagramSvg(mailboxMachine, { current: 'backoff', label: 'support' });
 * ```
 */
export function stateDiagramSvg(machine: AnyStateMachine, options: { current?: string; label?: string } = {}): string {
  const states = Object.keys(machine.root.states);
  const positions = new Map<string, Point>();
  const extra = states.filter((s) => !LAYOUT[s]);
  for (const state of states) {
    const placed = LAYOUT[state];
    positions.set(state, placed ?? { x: 70 + extra.indexOf(state) * 130, y: HEIGHT + 40 });
  }
  const height = extra.length > 0 ? HEIGHT + 80 : HEIGHT;
  const edges = machineEdges(machine)
    .map((edge) => ({ ...edge, shown: edge.labels.filter((l) => l !== 'STOP') }))
    .filter((edge) => edge.shown.length > 0);
  const parts: string[] = [];
  for (const edge of edges) {
    const from = positions.get(edge.source);
    const to = positions.get(edge.target);
    if (!from || !to) continue;
    const title = `${edge.source} → ${edge.target}: ${edge.labels.join(' / ')}${edge.guard ? ` [${edge.guard}]` : ''}`;
    const text = edge.shown[0]!;
    if (edge.source === edge.target) {
      const x = from.x + 20;
      const y = from.y - NODE_H / 2;
      parts.push(
        `<g class="sd-edge"><title>${escapeXml(title)}</title>`,
        `<path d="M${x},${y} C${x},${y - 30} ${x + 36},${y - 30} ${x + 36},${y}" marker-end="url(#sd-arrow)"/>`,
        `<text x="${x + 18}" y="${y - 26}" text-anchor="middle">${escapeXml(text)}</text></g>`,
      );
      continue;
    }
    const { d, label } = edgePath(from, to, 14);
    parts.push(
      `<g class="sd-edge"><title>${escapeXml(title)}</title><path d="${d}" marker-end="url(#sd-arrow)"/>`,
      `<text x="${round(label.x)}" y="${round(label.y)}" text-anchor="middle">${escapeXml(text)}</text></g>`,
    );
  }
  const initial = machine.root.initial?.target?.[0]?.key;
  const start = initial ? positions.get(initial) : undefined;
  if (start) {
    const top = start.y - NODE_H / 2;
    parts.push(
      `<g class="sd-initial"><title>initial state: ${escapeXml(initial!)}</title>`,
      `<circle cx="${start.x}" cy="${top - 30}" r="5"/>`,
      `<path d="M${start.x},${top - 25} L${start.x},${top}" marker-end="url(#sd-arrow)"/></g>`,
    );
  }
  for (const state of states) {
    const p = positions.get(state)!;
    const current = state === options.current ? ' current' : '';
    parts.push(
      `<g class="sd-state sd-${escapeXml(state)}${current}" data-state="${escapeXml(state)}">`,
      `<rect x="${p.x - NODE_W / 2}" y="${p.y - NODE_H / 2}" width="${NODE_W}" height="${NODE_H}" rx="9"/>`,
      `<text x="${p.x}" y="${p.y + 5}" text-anchor="middle">${escapeXml(state)}</text></g>`,
    );
  }
  const label = `State diagram of mailbox${options.label ? ` ${options.label}` : ''}${options.current ? `; current state: ${options.current}` : ''}`;
  return [
    `<svg class="state-diagram" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${escapeXml(label)}" xmlns="http://www.w3.org/2000/svg">`,
    ...parts,
    `<text class="sd-caption" x="${WIDTH / 2}" y="${height - 4}" text-anchor="middle">STOP leads from every state to stopped</text>`,
    '</svg>',
  ].join('');
}

/**
 * The page-wide SVG definitions the diagrams refer to (the arrowhead), in a hidden zero-size SVG.
 *
 * @example
 * ```ts
 * const html = `<body>${stateDiagramDefs()}…</body>`;
 * ```
 */
export function stateDiagramDefs(): string {
  return (
    '<svg width="0" height="0" aria-hidden="true" focusable="false" class="sd-defs">' +
    '<defs><marker id="sd-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">' +
    '<path d="M0,0 L10,5 L0,10 z" fill="#4b5563"/></marker></defs></svg>'
  );
}
