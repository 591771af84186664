/**
 * The import graph of the repository's own TypeScript files, and the import cycles in it (issue 14 point 3). Parsed
 * with the TypeScript compiler already in the tree (no new dependency), so `import type`, `export … from` and
 * dynamic `import()` are told apart: a dynamic import is a deliberate lazy edge (issue 12 point 5) and, by default,
 * not part of a cycle; a type-only import is, because a cycle of types is still a knot a reader must untie.
 *
 * As a script: `npx tsx scripts/import-graph.ts [folder …]` prints the cycles among the files under the folders
 * (default: the whole repository) and exits 1 when there is one. As a module: `importGraph()` and `importCycles()`
 * for tests (the repo-wide import-direction test builds on them).
 *
 * @module
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

/** The repository root (this file sits in `scripts/`). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Folders that hold no source of the project. */
const SKIPPED = new Set(['node_modules', 'dist', '.git', 'coverage']);

/**
 * How a file refers to another: `static` (a value import or re-export), `type` (erased at run time), `dynamic`
 * (`import()` at the point of use).
 *
 * @example
 * ```ts
 * const kind: ImportKind = 'dynamic';
 * ```
 */
export type ImportKind = 'static' | 'type' | 'dynamic';

/**
 * One edge of the graph: `from` imports `to` (both repository-relative, `/`-separated, with the `.ts` extension);
 * `specifier` is what the source says.
 *
 * @example
 * ```ts
 * const edge: ImportEdge = { from: 'runtime/cli/main.ts', to: 'runtime/cli/run.ts', specifier: './run.js', kind: 'dynamic' };
 * ```
 */
export interface ImportEdge {
  readonly from: string;
  readonly to: string;
  readonly specifier: string;
  readonly kind: ImportKind;
}

/**
 * Every `.ts` file under `folders` (repository-relative; default the whole repository), declaration files excluded.
 *
 * @example
 * ```ts
 * listTsFiles(['runtime/cli']); // ['runtime/cli/bin.ts', 'runtime/cli/commands.ts', …]
 * ```
 */
export function listTsFiles(folders: readonly string[] = ['.'], root = REPO_ROOT): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.') || SKIPPED.has(entry.name)) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(toRepoPath(path, root));
    }
  };
  for (const folder of folders) walk(resolve(root, folder));
  return [...new Set(out)].sort();
}

function toRepoPath(path: string, root: string): string {
  return relative(root, path).split(sep).join('/');
}

/** A relative specifier as a repository path: `./run.js` from `runtime/cli/main.ts` is `runtime/cli/run.ts`. */
function resolveSpecifier(from: string, specifier: string, root: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined; // a package, not one of our files
  const target = toRepoPath(resolve(root, dirname(from), specifier), root);
  return target.replace(/\.(js|ts)$/, '').concat('.ts');
}

/**
 * The imports of one file's source text, each with its kind (relative specifiers only: packages are not ours).
 *
 * @example
 * ```ts
 * importsOf('runtime/cli/main.ts', "const m = await import('./run.js');"); // [{ …, to: 'runtime/cli/run.ts', kind: 'dynamic' }]
 * ```
 */
export function importsOf(file: string, text: string, root = REPO_ROOT): ImportEdge[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const edges: ImportEdge[] = [];
  const add = (node: ts.Node | undefined, kind: ImportKind) => {
    if (!node || !ts.isStringLiteral(node)) return;
    const to = resolveSpecifier(file, node.text, root);
    if (to) edges.push({ from: file, to, specifier: node.text, kind });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const typeOnly =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (clause.name === undefined &&
            clause.namedBindings !== undefined &&
            ts.isNamedImports(clause.namedBindings) &&
            clause.namedBindings.elements.length > 0 &&
            clause.namedBindings.elements.every((element) => element.isTypeOnly)));
      add(node.moduleSpecifier, typeOnly ? 'type' : 'static');
    } else if (ts.isExportDeclaration(node)) {
      add(node.moduleSpecifier, node.isTypeOnly ? 'type' : 'static');
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node.arguments[0], 'dynamic');
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal, 'type'); // `import('./x.js').T` in a type position
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return edges;
}

/**
 * The import edges among the `.ts` files under `folders` (edges to files outside them are dropped).
 *
 * @example
 * ```ts
 * const edges = importGraph(['runtime/cli']);
 * ```
 */
export function importGraph(folders: readonly string[] = ['.'], root = REPO_ROOT): ImportEdge[] {
  const files = listTsFiles(folders, root);
  const known = new Set(files);
  return files.flatMap((file) =>
    importsOf(file, readFileSync(join(root, file), 'utf8'), root).filter((edge) => known.has(edge.to)),
  );
}

/**
 * The import cycles of a graph: each strongly connected component of more than one file (or a file importing
 * itself), files sorted. `kinds` says which edges count (default: static and type-only, not dynamic).
 *
 * @example
 * ```ts
 * importCycles(importGraph(['runtime/cli', 'adapters/oauth2'])); // [] when there is no circle
 * ```
 */
export function importCycles(
  edges: readonly ImportEdge[],
  kinds: readonly ImportKind[] = ['static', 'type'],
): string[][] {
  const next = new Map<string, Set<string>>();
  for (const edge of edges) {
    if (!kinds.includes(edge.kind)) continue;
    if (!next.has(edge.from)) next.set(edge.from, new Set());
    if (!next.has(edge.to)) next.set(edge.to, new Set());
    next.get(edge.from)!.add(edge.to);
  }
  // Tarjan's strongly connected components, iterative so a deep graph cannot overflow the stack.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  let counter = 0;
  for (const start of next.keys()) {
    if (index.has(start)) continue;
    const work: { node: string; children: string[] }[] = [];
    const enter = (node: string) => {
      index.set(node, counter);
      low.set(node, counter);
      counter += 1;
      stack.push(node);
      onStack.add(node);
      work.push({ node, children: [...next.get(node)!] });
    };
    enter(start);
    while (work.length > 0) {
      const frame = work.at(-1)!;
      const child = frame.children.shift();
      if (child !== undefined) {
        if (!index.has(child)) enter(child);
        else if (onStack.has(child)) low.set(frame.node, Math.min(low.get(frame.node)!, index.get(child)!));
        continue;
      }
      work.pop();
      const parent = work.at(-1);
      if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) !== index.get(frame.node)) continue;
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== frame.node);
      if (component.length > 1 || next.get(frame.node)!.has(frame.node)) cycles.push(component.sort());
    }
  }
  return cycles.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const folders = process.argv.slice(2);
  const cycles = importCycles(importGraph(folders.length > 0 ? folders : ['.']));
  for (const cycle of cycles) console.log(`cycle of ${cycle.length}: ${cycle.join(' → ')}`);
  console.log(`${cycles.length} import cycle(s) in ${folders.length > 0 ? folders.join(', ') : 'the repository'}`);
  process.exitCode = cycles.length > 0 ? 1 : 0;
}
