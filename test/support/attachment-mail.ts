/**
 * A raw multipart/mixed message: a text part and one attachment per file (base64), for the tests of `attachment`
 * and `body` conditions (issue 15 point 6) — the unit tests of the summaries and the Dovecot int test.
 */

/**
 * One attached file: its name (`null`: none), its MIME type, its content.
 *
 * @example
 * ```ts
 * const pdf: AttachedFile = { filename: 'a.pdf', type: 'application/pdf', content: Buffer.from('%PDF') };
 * ```
 */
export interface AttachedFile {
  readonly filename: string | null;
  readonly type: string;
  readonly content: Buffer;
}

/**
 * The message, CRLF line ends.
 *
 * @example
 * ```ts
 * const raw = mailWithAttachments({ subject: 'Documents', text: 'See attached.', files: [pdf] });
 * ```
 */
export function mailWithAttachments(mail: {
  readonly subject: string;
  readonly text: string;
  readonly files: readonly AttachedFile[];
  readonly messageId?: string;
}): string {
  const lines = [
    'From: ada@example.test',
    `Subject: ${mail.subject}`,
    ...(mail.messageId ? [`Message-ID: ${mail.messageId}`] : []),
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain; charset=utf-8',
    '',
    mail.text,
  ];
  for (const file of mail.files) {
    const name = file.filename === null ? '' : `; name="${file.filename}"`;
    lines.push('--b1', `Content-Type: ${file.type}${name}`);
    if (file.filename !== null) lines.push(`Content-Disposition: attachment; filename="${file.filename}"`);
    lines.push('Content-Transfer-Encoding: base64', '', ...(file.content.toString('base64').match(/.{1,76}/g) ?? []));
  }
  lines.push('--b1--', '');
  return lines.join('\r\n');
}
