/**
 * `node --import ./test/support/package-recorder.mjs …`: records the name of every npm package the process loads
 * (one per line, appended to the file named by `PACKAGE_RECORD_FILE`), through a module `resolve` hook. Used by the
 * start-up test (issue 12 point 5) to check which packages a command loads: behaviour, not time.
 *
 * Plain JavaScript on purpose: it runs before any TypeScript loader and in the hooks thread.
 */
import { register } from 'node:module';

const file = process.env.PACKAGE_RECORD_FILE;
if (file) {
  const hooks = `
    import { appendFileSync } from 'node:fs';
    const file = ${JSON.stringify(file)};
    const seen = new Set();
    export async function resolve(specifier, context, next) {
      const result = await next(specifier, context);
      const match = /\\/node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(result.url);
      if (match && !seen.has(match[1])) {
        seen.add(match[1]);
        appendFileSync(file, match[1] + '\\n');
      }
      return result;
    }`;
  register(`data:text/javascript,${encodeURIComponent(hooks)}`, import.meta.url);
}
