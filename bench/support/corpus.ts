/**
 * The messages the benches discover and parse: deterministic, about 2.8 KB on average like the NOTES.md baseline
 * folder (10,000 messages, 28 MB), and shaped like real mail so the parser has work to do: trace headers, an
 * encoded-word subject now and then, plain text (60 %), text + HTML alternatives (30 %), and a small attachment
 * (10 %).
 *
 * @module
 */

const WORDS = (
  'the order invoice shipment delivery customer support ticket update status report meeting schedule account ' +
  'payment reminder renewal request question answer attached please regards thanks welcome notice'
).split(' ');

function words(seed: number, count: number): string {
  const out: string[] = [];
  let x = Math.imul(seed + 1, 2654435761) >>> 0;
  for (let i = 0; i < count; i += 1) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out.push(WORDS[(x >>> 16) % WORDS.length]!);
  }
  return out.join(' ');
}

function paragraph(seed: number, lines: number): string[] {
  return Array.from({ length: lines }, (_, i) => words(seed * 31 + i, 8 + ((seed + i) % 6)));
}

function wrapBase64(data: Buffer): string[] {
  return data.toString('base64').match(/.{1,76}/g) ?? [];
}

/**
 * The RFC 5322 source of bench message `i` (CRLF line ends), with Message-ID `<bench-i@bench.example.test>`.
 *
 * @example
 * ```ts
 * await servers.fill('bench', Array.from({ length: 10_000 }, (_, i) => benchMessage(i)), { seen: true });
 * ```
 */
export function benchMessage(i: number): Buffer {
  const kind = i % 10 < 6 ? 'plain' : i % 10 < 9 ? 'alternative' : 'attachment';
  const subject =
    i % 7 === 0
      ? `=?UTF-8?B?${Buffer.from(`Bestätigung Nr. ${i} – ${words(i, 3)}`).toString('base64')}?=`
      : `${words(i, 4)} #${i}`;
  const head = [
    `Received: from mx${i % 5}.example.net (mx${i % 5}.example.net [192.0.2.${i % 250}]) by mail.example.test with ESMTPS id ${(i * 7919).toString(16)}; Tue, 01 Jul 2025 10:00:00 +0000`,
    `Received: from app.example.net (localhost [127.0.0.1]) by mx${i % 5}.example.net with ESMTP id ${(i * 104729).toString(16)}; Tue, 01 Jul 2025 09:59:59 +0000`,
    `Message-ID: <bench-${i}@bench.example.test>`,
    `Date: Tue, 01 Jul 2025 ${String(10 + (i % 12)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00 +0000`,
    `From: "Sender ${i % 97}" <sender${i % 97}@example.net>`,
    'To: Bench <bench@example.test>',
    ...(i % 3 === 0 ? [`Cc: team${i % 11}@example.test, "Ops" <ops@example.test>`] : []),
    `Subject: ${subject}`,
    ...(i % 4 === 0
      ? [`List-Id: <list${i % 13}.example.net>`, `In-Reply-To: <bench-${i - 1}@bench.example.test>`]
      : []),
    'MIME-Version: 1.0',
  ];
  const text = paragraph(i, 12 + (i % 20));
  let body: string[];
  if (kind === 'plain') {
    body = ['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit', '', ...text];
  } else {
    const boundary = `b${i}x`;
    const html = ['<html><body>', ...text.map((line) => `<p>${line}</p>`), '</body></html>'];
    const alternative = [
      `--${boundary}`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      ...text,
      `--${boundary}`,
      'Content-Type: text/html; charset=utf-8',
      '',
      ...html,
      `--${boundary}--`,
    ];
    if (kind === 'alternative') {
      body = [`Content-Type: multipart/alternative; boundary="${boundary}"`, '', ...alternative];
    } else {
      const outer = `m${i}x`;
      const data = Buffer.from(paragraph(i + 1, 20).join('\n'));
      body = [
        `Content-Type: multipart/mixed; boundary="${outer}"`,
        '',
        `--${outer}`,
        'Content-Type: text/plain; charset=utf-8',
        '',
        ...text.slice(0, 6),
        `--${outer}`,
        `Content-Type: text/csv; name="report-${i}.csv"`,
        `Content-Disposition: attachment; filename="report-${i}.csv"`,
        'Content-Transfer-Encoding: base64',
        '',
        ...wrapBase64(data),
        `--${outer}--`,
      ];
    }
  }
  return Buffer.from(`${[...head, ...body].join('\r\n')}\r\n`);
}

/**
 * Messages `0..count-1` of {@link benchMessage}.
 *
 * @example
 * ```ts
 * const sources = benchCorpus(10_000);
 * ```
 */
export function benchCorpus(count: number): Buffer[] {
  return Array.from({ length: count }, (_, i) => benchMessage(i));
}
