/**
 * One mail-format module for every adapter (issue 14, point 1): header bytes, RFC 2047 words, header blocks,
 * addresses, Message-IDs, dates, envelopes and bodies of incoming mail, and the limits of outgoing headers built
 * from it (issue 13, point 9). Each fact lives in one file; adapters keep only what their protocol adds.
 *
 * @example
 * ```ts
 * import { envelopeOf, parseHeaderBlock } from '../mail-format/index.js';
 * const envelope = envelopeOf(head, parseHeaderBlock(head));
 * ```
 *
 * @module
 */
export { formatAddress, parseAddresses } from './addresses.js';
export { loadMailparser, parseBody } from './body.js';
export { attachmentsOfStructure, type BodyStructureNode } from './bodystructure.js';
export { decodeEncodedWords } from './encoded-words.js';
export { envelopeOf } from './envelope.js';
export { type HeaderField, headerFields, parseHeaderBlock, rawHeaderFields } from './header-block.js';
export { parseHeaderDate } from './header-date.js';
export { decodeBytes, headerText, isKnownCharset } from './header-text.js';
export { LazyHeaders } from './lazy-headers.js';
export { BODY_TEXT_LIMIT, matchFactsOf } from './match-facts.js';
export { MalformedMessageError, messageFromSource } from './message-file.js';
export { messageIdsIn, normalizeMessageId } from './message-id.js';
export {
  displayName,
  MAX_DISPLAY_NAME_CHARS,
  MAX_MESSAGE_ID_OCTETS,
  MAX_REFERENCES,
  MAX_SUBJECT_CHARS,
  outgoingInReplyTo,
  outgoingReferences,
  outgoingSubject,
  safeMessageIds,
  singleLine,
} from './outgoing-headers.js';
