/**
 * Renders a state machine's definition as a Mermaid state diagram and a table of its states, so the picture in the
 * README and `docs/` is generated from the code, never drawn by hand (`npm run docs:diagram`; a test checks it is
 * current).
 *
 * @module
 */
import type { AnyStateMachine } from 'xstate';

/** Readable names for xstate's internal event types. */
function eventLabel(eventType: string): string {
  const done = /^xstate\.done\.actor\.(.+)$/.exec(eventType);
  if (done) return `${done[1]} resolved`;
  const error = /^xstate\.error\.actor\.(.+)$/.exec(eventType);
  if (error) return `${error[1]} rejected`;
  const after = /^xstate\.after\.([^.]+)\./.exec(eventType);
  if (after) return `after ${after[1]}`;
  return eventType;
}

interface Edge {
  readonly source: string;
  readonly target: string;
  readonly guard: string | undefined;
  readonly labels: string[];
}

/**
 * The transitions of a machine's top-level states as edges, merging events that lead the same way under the same
 * guard, and drawing root-level transitions from every state they apply to.
 *
 * @example
 * ```ts
 * const edges = machineEdges(mailboxMachine);
 * edges.find((e) => e.source === 'backoff' && e.target === 'connecting')?.labels; // ['RETRY', 'after backoffDelay']
 * ```
 */
export function machineEdges(machine: AnyStateMachine): Edge[] {
  const edges = new Map<string, Edge>();
  const states = Object.values(machine.root.states);
  const add = (source: string, target: string, guard: string | undefined, label: string) => {
    const key = `${source}|${target}|${guard ?? ''}`;
    const edge = edges.get(key) ?? { source, target, guard, labels: [] };
    if (!edge.labels.includes(label)) edge.labels.push(label);
    edges.set(key, edge);
  };
  for (const node of states) {
    for (const [eventType, definitions] of node.transitions) {
      for (const definition of definitions) {
        const guard =
          typeof definition.guard === 'string' ? definition.guard : (definition.guard as { type?: string })?.type;
        const targets = definition.target ?? [];
        if (targets.length === 0) {
          if ((definition.actions ?? []).length > 0) add(node.key, node.key, guard, eventLabel(eventType));
          continue;
        }
        for (const target of targets) add(node.key, target.key, guard, eventLabel(eventType));
      }
    }
  }
  for (const [eventType, definitions] of machine.root.transitions) {
    for (const definition of definitions) {
      for (const target of definition.target ?? []) {
        for (const node of states) {
          const overridden = node.transitions.has(eventType);
          if (node.key !== target.key && !overridden) add(node.key, target.key, undefined, eventLabel(eventType));
        }
      }
    }
  }
  return [...edges.values()];
}

/**
 * The machine as a Mermaid `stateDiagram-v2`, one line per edge (`source --> target: EVENT / EVENT [guard]`).
 *
 * @example
 * ```ts
 * fs.writeFileSync('docs/mailbox-states.mmd', toMermaid(mailboxMachine));
 * ```
 */
export function toMermaid(machine: AnyStateMachine): string {
  const lines = ['stateDiagram-v2'];
  const initial = machine.root.initial?.target?.[0]?.key;
  if (initial) lines.push(`  [*] --> ${initial}`);
  for (const edge of machineEdges(machine)) {
    const guard = edge.guard ? ` [${edge.guard}]` : '';
    lines.push(`  ${edge.source} --> ${edge.target}: ${edge.labels.join(' / ')}${guard}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The machine's top-level states and their descriptions as a Markdown table.
 *
 * @example
 * ```ts
 * console.log(statesTable(mailboxMachine));
 * ```
 */
export function statesTable(machine: AnyStateMachine): string {
  const rows = Object.values(machine.root.states).map(
    (node) => `| \`${node.key}\` | ${(node.description ?? '').replace(/\|/g, '\\|')} |`,
  );
  return ['| state | meaning |', '|---|---|', ...rows].join('\n');
}

/**
 * The Markdown block the README and docs embed: the Mermaid diagram and the state table.
 *
 * @example
 * ```ts
 * const block = diagramBlock(mailboxMachine);
 * ```
 */
export function diagramBlock(machine: AnyStateMachine): string {
  return ['```mermaid', toMermaid(machine).trimEnd(), '```', '', statesTable(machine)].join('\n');
}

/**
 * Replaces a generated block in a Markdown text: everything between `<!-- NAME:start ... -->` and
 * `<!-- NAME:end -->`. Throws when the text has no such markers, so a renamed marker cannot go stale silently.
 *
 * @example
 * ```ts
 * const readme = replaceGeneratedBlock(fs.readFileSync('README.md', 'utf8'), 'diagram', diagramBlock(mailboxMachine));
 * ```
 */
export function replaceGeneratedBlock(markdown: string, name: string, content: string): string {
  const startPattern = new RegExp(`<!-- ${name}:start[^>]*-->`);
  const endMarker = `<!-- ${name}:end -->`;
  const start = markdown.search(startPattern);
  const end = markdown.indexOf(endMarker);
  if (start < 0 || end < start) throw new Error(`no <!-- ${name}:start --> … ${endMarker} markers found`);
  const startMarker = `<!-- ${name}:start (generated by npm run docs:diagram; do not edit) -->`;
  return `${markdown.slice(0, start)}${startMarker}\n${content}\n${markdown.slice(end)}`;
}
