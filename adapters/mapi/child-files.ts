/**
 * Temporary files of the bridge child: MAPI hands attachments over as files (Attachment.SaveAsFile, Simple MAPI's
 * MapiFileDesc paths) and takes them as files when sending. Each use gets its own directory, removed afterwards.
 *
 * @module
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

/**
 * Runs `work` with a fresh temporary directory and removes it afterwards, whatever happens.
 *
 * @example
 * ```ts
 * const bytes = withTempDir((dir) => { attachment.SaveAsFile(join(dir, 'a.pdf')); return readFileSync(join(dir, 'a.pdf')); });
 * ```
 */
export function withTempDir<T>(work: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'mail-autopilot-mapi-'));
  try {
    return work(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A file name that is safe in any directory: no path separators, no characters Windows refuses, never empty.
 *
 * @example
 * ```ts
 * safeFileName('../report:2024?.pdf', 1); // 'report_2024_.pdf'
 * ```
 */
export function safeFileName(name: string | null, index: number): string {
  const base = basename((name ?? '').replaceAll('\\', '/'))
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what must go.
    .replace(/[<>:"/\\|?*\x00-\x1f]/g, '_')
    .replace(/^\.+/, '')
    .trim();
  return base.length > 0 ? base.slice(0, 150) : `attachment-${index}.bin`;
}

const MIME_BY_EXTENSION: Record<string, string> = {
  txt: 'text/plain',
  csv: 'text/csv',
  htm: 'text/html',
  html: 'text/html',
  xml: 'application/xml',
  json: 'application/json',
  pdf: 'application/pdf',
  zip: 'application/zip',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  eml: 'message/rfc822',
  ics: 'text/calendar',
  doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xls: 'application/vnd.ms-excel',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

/**
 * A content type guessed from a file name (MAPI stores often keep none).
 *
 * @example
 * ```ts
 * contentTypeOf('invoice.PDF'); // 'application/pdf'
 * ```
 */
export function contentTypeOf(filename: string | null): string {
  const extension = /\.([A-Za-z0-9]+)$/.exec(filename ?? '')?.[1]?.toLowerCase();
  return (extension && MIME_BY_EXTENSION[extension]) ?? 'application/octet-stream';
}
