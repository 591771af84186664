/**
 * Writes what the docs show of the mailbox machine, generated from its definition: `docs/mailbox-states.mmd`, the
 * diagram block in README.md and docs/reconnect.md, and the schedule table in docs/reconnect.md. Run with
 * `npm run docs:diagram`; `test/docs/generated-docs.unit.test.ts` fails when the committed files are stale.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generatedDocs } from './generated-docs.js';

const root = fileURLToPath(new URL('..', import.meta.url));
for (const [file, content] of Object.entries(generatedDocs(root))) {
  writeFileSync(`${root}${file}`, content);
  console.log(`wrote ${file}`);
}
