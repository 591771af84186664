/**
 * The architecture as the code has it (issue 14 point 6, docs/architecture.md): dependencies point one way —
 * machines import nothing of the rest and no I/O, adapters never import the runtime, tooling never imports tests —
 * and the project's own files have no import circles. Drawn from the import graph of every `.ts` file
 * (scripts/import-graph.ts, parsed by the TypeScript compiler); an import against the direction or a new circle
 * fails here, naming the file and what it imports.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type ImportEdge, importCycles, importGraph, listTsFiles, REPO_ROOT } from '../../scripts/import-graph.js';

const SOURCE_ROOMS = ['machines', 'adapters', 'runtime', 'bench', 'scripts'];
const edges = importGraph([...SOURCE_ROOMS, 'test']);

function roomOf(file: string): string {
  return file.includes('/') ? file.slice(0, file.indexOf('/')) : file;
}

/** What each room may import from the project's rooms. */
const MAY_IMPORT: Record<string, readonly string[]> = {
  machines: ['machines'],
  adapters: ['adapters', 'machines'],
  runtime: ['runtime', 'adapters', 'machines'],
  bench: ['bench', 'scripts', 'runtime', 'adapters', 'machines'],
  scripts: ['scripts', 'runtime', 'adapters', 'machines'],
};

function against(edge: ImportEdge): boolean {
  const allowed = MAY_IMPORT[roomOf(edge.from)];
  return allowed !== undefined && !allowed.includes(roomOf(edge.to));
}

/** Package specifiers a file imports (not our own files). */
function packagesOf(file: string): string[] {
  const text = readFileSync(join(REPO_ROOT, file), 'utf8');
  const found = [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"`;]*?from\s+['"]([^'"]+)['"]/g)].map((m) => m[1]!);
  const dynamic = [...text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]!);
  return [...found, ...dynamic].filter((specifier) => !specifier.startsWith('.'));
}

describe('architecture: the direction of imports', () => {
  it('every room imports only what it may (machines → machines; adapters → adapters, machines; …)', () => {
    const wrong = edges.filter(against).map((edge) => `${edge.from} imports ${edge.to}`);
    expect(wrong).toEqual([]);
  });

  it('machines/ import no I/O: only xstate among packages, no Node modules', () => {
    const wrong = listTsFiles(['machines']).flatMap((file) =>
      packagesOf(file)
        .filter((specifier) => specifier !== 'xstate' && !specifier.startsWith('xstate/'))
        .map((specifier) => `${file} imports ${specifier}`),
    );
    expect(wrong).toEqual([]);
  });

  it('the project has no import circles (a dynamic import at the point of use is no edge)', () => {
    const ours = edges.filter(
      (edge) => SOURCE_ROOMS.includes(roomOf(edge.from)) && SOURCE_ROOMS.includes(roomOf(edge.to)),
    );
    expect(importCycles(ours).map((cycle) => cycle.join(' → '))).toEqual([]);
  });

  it('the direction test itself sees the graph (it is not vacuous)', () => {
    expect(edges.length).toBeGreaterThan(500);
    expect(edges.some((edge) => edge.from.startsWith('runtime/') && edge.to.startsWith('machines/'))).toBe(true);
    expect(
      against({ from: 'adapters/imap/session.ts', to: 'runtime/autopilot.ts', specifier: 'x', kind: 'static' }),
    ).toBe(true);
  });
});
