/**
 * The generated documentation files and their expected content, computed from the machine definition, the config
 * schema and the current files (only the generated blocks change). Shared by the generator script and the staleness test.
 */
import { readFileSync } from 'node:fs';
import { mailboxMachine } from '../machines/mailbox.machine.js';
import { scheduleMarkdown } from '../machines/reconnect-schedule.js';
import { configJsonSchema } from '../runtime/config/schema.js';
import { diagramBlock, replaceGeneratedBlock, toMermaid } from '../runtime/diagram.js';

/**
 * Maps each generated file (relative to the repository root) to the content it should have.
 *
 * @example
 * ```ts
 * for (const [file, content] of Object.entries(generatedDocs(root))) writeFileSync(root + file, content);
 * ```
 */
export function generatedDocs(root: string): Record<string, string> {
  const read = (file: string) => readFileSync(`${root}${file}`, 'utf8');
  const diagram = diagramBlock(mailboxMachine);
  return {
    'docs/mailbox-states.mmd': toMermaid(mailboxMachine),
    'docs/config.schema.json': `${JSON.stringify(configJsonSchema(), null, 2)}\n`,
    'README.md': replaceGeneratedBlock(read('README.md'), 'diagram', diagram),
    'docs/reconnect.md': replaceGeneratedBlock(
      replaceGeneratedBlock(read('docs/reconnect.md'), 'diagram', diagram),
      'schedule',
      scheduleMarkdown(),
    ),
  };
}
