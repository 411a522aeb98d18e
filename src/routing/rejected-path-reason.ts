// Words for why normalizePath rejected a path, for config errors. normalizePath alone decides
// what is rejected; this only names the rule, by finding the segment it rejects on its own.
import { normalizePath } from './normalize-path.js';

const ENCODED_SEPARATOR = /%(2f|5c|00)/i;
const ENCODED_DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i;
const RAW_FORBIDDEN = /[\x00-\x1f\x7f\\]/;
const BAD_ESCAPE = /%(?![0-9a-f]{2})/i;
const NOT_UTF16 = /\ufffd|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export function rejectedPathReason(path: string): string {
  if (!path.startsWith('/')) return 'it must start with "/"';
  for (const piece of path.slice(1).split('/')) {
    if (normalizePath('/' + piece) !== null) continue;
    const segment = JSON.stringify(piece);
    if (ENCODED_SEPARATOR.test(piece)) return `segment ${segment} has an encoded "/", "\\" or NUL (%2F, %5C, %00), which request paths may never carry`;
    if (ENCODED_DOT_SEGMENT.test(piece) && piece !== '.' && piece !== '..') return `segment ${segment} is a dot-segment written with an encoded dot, which request paths may never carry`;
    if (RAW_FORBIDDEN.test(piece)) return `segment ${segment} has a control character or "\\"`;
    if (BAD_ESCAPE.test(piece)) return `segment ${segment} has a "%" that does not start an escape like %2F`;
    if (NOT_UTF16.test(piece)) return `segment ${segment} has U+FFFD or a lone surrogate`;
    if (piece !== '..') return `segment ${segment} has percent-escapes that are not well-formed UTF-8`;
  }
  return 'its ".." segments climb above the root';
}
