/**
 * Header values of outgoing mail that come from incoming mail (subjects, display names, References and In-Reply-To
 * of replies and forwards), kept within RFC 5322's line limits (§2.1.1: 998 octets per line, hard; 78 recommended)
 * and unable to carry a line break of their own (issue 13, point 9).
 *
 * The bounds: a subject is cut to {@link MAX_SUBJECT_CHARS} characters, a display name to
 * {@link MAX_DISPLAY_NAME_CHARS}, a Message-ID longer than {@link MAX_MESSAGE_ID_OCTETS} is dropped, and References
 * keeps at most {@link MAX_REFERENCES} ids (the first and the latest). nodemailer then folds at white space to 76
 * characters and writes non-ASCII text as encoded words of at most 76; a single unbroken ASCII run can only be as
 * long as these bounds, so no line reaches 998 octets.
 *
 * @module
 */
import { messageIdsIn } from './message-id.js';

/** Characters a subject built from incoming mail keeps (the rest is cut and `…` put in its place). */
export const MAX_SUBJECT_CHARS = 250;
/** Characters a display name keeps. */
export const MAX_DISPLAY_NAME_CHARS = 100;
/** Octets of the longest Message-ID carried into In-Reply-To or References; longer ones are dropped. */
export const MAX_MESSAGE_ID_OCTETS = 250;
/** Message-IDs a References field keeps: the thread's first and the latest ones. */
export const MAX_REFERENCES = 20;

/** C0 and C1 controls (CR and LF among them), DEL, and the Unicode line and paragraph separators. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what singleLine removes
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;

/**
 * A header value on one line: every CR, LF and other control character (NUL, C1 included) becomes a space, runs of
 * white space one space, ends trimmed. A `\r\nBcc: x` in a subject is then just text.
 *
 * @example
 * ```ts
 * singleLine('Hello\r\nBcc: victim@example.test'); // 'Hello Bcc: victim@example.test'
 * ```
 */
export function singleLine(value: string): string {
  return value.replace(CONTROL, ' ').replace(/\s+/g, ' ').trim();
}

/** Cuts to `max` characters (code points, never half a surrogate pair), marking the cut with `…`. */
function shorten(value: string, max: number): string {
  const chars = Array.from(value);
  return chars.length <= max
    ? value
    : `${chars
        .slice(0, max - 1)
        .join('')
        .trimEnd()}…`;
}

/**
 * A subject for outgoing mail: {@link singleLine}, at most {@link MAX_SUBJECT_CHARS} characters.
 *
 * @example
 * ```ts
 * outgoingSubject(`Re: ${'x'.repeat(1_000_000)}`).length; // 250
 * ```
 */
export function outgoingSubject(subject: string): string {
  return shorten(singleLine(subject), MAX_SUBJECT_CHARS);
}

/**
 * A display name for outgoing mail: {@link singleLine}, at most {@link MAX_DISPLAY_NAME_CHARS} characters.
 *
 * @example
 * ```ts
 * displayName('Ada\r\nBcc: x@example.test'); // 'Ada Bcc: x@example.test'
 * ```
 */
export function displayName(name: string): string {
  return shorten(singleLine(name), MAX_DISPLAY_NAME_CHARS);
}

/**
 * The Message-IDs of a value that may go into In-Reply-To or References: only well-formed `<…>` ids (which cannot
 * hold white space, so no line break), none longer than {@link MAX_MESSAGE_ID_OCTETS}.
 *
 * @example
 * ```ts
 * safeMessageIds('<a@x>\r\nBcc: y@x <b@x>'); // ['<a@x>', '<b@x>']
 * ```
 */
export function safeMessageIds(value: string | readonly string[] | undefined): string[] {
  const text = typeof value === 'string' ? value : (value ?? []).join(' ');
  return messageIdsIn(text).filter((id) => Buffer.byteLength(id) <= MAX_MESSAGE_ID_OCTETS);
}

/**
 * A References value for outgoing mail: safe ids ({@link safeMessageIds}), at most {@link MAX_REFERENCES} of them —
 * the first (the thread's root) and the latest (RFC 5322 §3.6.4 lets a responder trim the middle).
 *
 * @example
 * ```ts
 * outgoingReferences('<root@x> <a@x> <b@x>'); // '<root@x> <a@x> <b@x>'
 * ```
 */
export function outgoingReferences(value: string | readonly string[] | undefined): string | undefined {
  let ids = safeMessageIds(value);
  if (ids.length > MAX_REFERENCES) ids = [ids[0]!, ...ids.slice(ids.length - (MAX_REFERENCES - 1))];
  return ids.length > 0 ? ids.join(' ') : undefined;
}

/**
 * An In-Reply-To value for outgoing mail: the first safe id, or undefined.
 *
 * @example
 * ```ts
 * outgoingInReplyTo('<a@x>\r\nBcc: y@x'); // '<a@x>'
 * ```
 */
export function outgoingInReplyTo(value: string | undefined): string | undefined {
  return safeMessageIds(value)[0];
}
