/**
 * Writes what the docs show of the mailbox machine and the configuration, generated from their definitions:
 * `docs/mailbox-states.mmd`, the diagram block in README.md and docs/reconnect.md, the schedule table in
 * docs/reconnect.md, and the JSON Schema of the configuration file (`docs/config.schema.json`, for editors). Run with
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
