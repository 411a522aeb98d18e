// `${ENV}` and `${ENV:-default}` in scalar values; `$${` is a literal `${`.
//
// Expressions are swapped for same-length placeholders before the YAML parse and resolved in
// the parsed scalars afterwards. So `token: ${X}` also works inside a flow map (where `{` and
// `}` are syntax), a value can never change the YAML structure, line:col stays exact, and an
// expression in a comment is never looked up. An unquoted scalar is read as if its value had
// been written there (`port: ${PORT}` gives a number); a quoted one stays a string.
import { isMap, isScalar, isSeq, Scalar, type Document } from 'yaml';
import type { ConfigPath, Problem } from './errors.js';

type Token =
  | { kind: 'env'; start: number; text: string; name: string; fallback: string | undefined }
  | { kind: 'literal'; start: number; text: string; value: string }
  | { kind: 'invalid'; start: number; text: string };

export interface MaskedText {
  text: string;
  tokens: Token[];
  problems: Problem[];
}

// Private-use characters: a marker, then one character naming the token, then padding.
const MARK = '\uE000';
const FIRST_INDEX = 0xe001;
const LAST_INDEX = 0xf8fe;
const PAD = '\uF8FF';
const PLACEHOLDER = /\uE000([\uE001-\uF8FE])\uF8FF*/g;
const EXPRESSION = /^([A-Za-z_][A-Za-z0-9_]*)(?::-([^{}]*))?$/;
const HELP = 'write ${NAME} or ${NAME:-default}, or $${ for a literal "${"';

export function maskInterpolations(source: string): MaskedText {
  const tokens: Token[] = [];
  const problems: Problem[] = [];
  const reserved = source.indexOf(MARK);
  if (reserved !== -1) problems.push({ path: [], at: 'value', offset: reserved, message: 'the file contains the reserved character U+E000' });
  const opening = /\$?\$\{/g;
  let masked = '';
  let copied = 0;
  for (let found = opening.exec(source); found; found = opening.exec(source)) {
    if (tokens.length > LAST_INDEX - FIRST_INDEX) {
      problems.push({ path: [], at: 'value', offset: found.index, message: 'too many ${...} expressions in one file' });
      break;
    }
    const token = readToken(source, found.index, found[0].length === 3);
    masked += source.slice(copied, found.index) + placeholder(tokens.length, token.text.length);
    tokens.push(token);
    copied = found.index + token.text.length;
    opening.lastIndex = copied;
  }
  return { text: masked + source.slice(copied), tokens, problems };
}

/** The token at `start`; `escaped` when it begins with `$${`. Ends at the first `}` on its line. */
function readToken(source: string, start: number, escaped: boolean): Token {
  const bodyStart = start + (escaped ? 3 : 2);
  const stop = /[}\n]/g;
  stop.lastIndex = bodyStart;
  const close = (stop.exec(source)?.index ?? -1) - bodyStart;
  const closed = close >= 0 && source[bodyStart + close] === '}';
  const body = closed ? source.slice(bodyStart, bodyStart + close) : '';
  const match = closed ? EXPRESSION.exec(body) : null;
  if (escaped) {
    const text = match ? source.slice(start, bodyStart + close + 1) : '$${';
    return { kind: 'literal', start, text, value: text.slice(1) };
  }
  if (!match) return { kind: 'invalid', start, text: closed ? source.slice(start, bodyStart + close + 1) : '${' };
  return { kind: 'env', start, text: source.slice(start, bodyStart + close + 1), name: match[1] ?? '', fallback: match[2] };
}

function placeholder(index: number, length: number): string {
  return MARK + String.fromCharCode(FIRST_INDEX + index) + PAD.repeat(Math.max(0, length - 2));
}

/** Replaces the placeholders in the parsed document: values get their text, keys their source. */
export function resolveInterpolations(doc: Document, masked: MaskedText, env: NodeJS.ProcessEnv): Problem[] {
  const problems: Problem[] = [];
  const visit = (node: unknown, path: ConfigPath): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (isScalar(pair.key) && typeof pair.key.value === 'string') pair.key.value = restoreSource(pair.key.value, masked.tokens);
        visit(pair.value, [...path, isScalar(pair.key) ? String(pair.key.value) : '?']);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => visit(item, [...path, index]));
    } else if (isScalar(node) && typeof node.value === 'string' && node.value.includes(MARK)) {
      resolveScalar(node, path, masked.tokens, env, problems);
    }
  };
  visit(doc.contents, []);
  return problems;
}

function resolveScalar(node: Scalar, path: ConfigPath, tokens: Token[], env: NodeJS.ProcessEnv, problems: Problem[]): void {
  const text = String(node.value).replace(PLACEHOLDER, (_match, index: string) => {
    const token = tokens[index.charCodeAt(0) - FIRST_INDEX];
    if (!token) return '';
    const value = tokenValue(token, env);
    if (typeof value === 'string') return value;
    problems.push({ path, at: 'value', offset: token.start, message: value.problem });
    return '';
  });
  node.value = node.type === Scalar.PLAIN ? plainScalarValue(text) : text;
}

function tokenValue(token: Token, env: NodeJS.ProcessEnv): string | { problem: string } {
  if (token.kind === 'literal') return token.value;
  if (token.kind === 'invalid') return { problem: `invalid interpolation ${JSON.stringify(token.text)}: ${HELP}` };
  const value = env[token.name];
  // As in the shell, `:-` also replaces a variable that is set but empty.
  if (token.fallback !== undefined && (value === undefined || value === '')) return token.fallback;
  if (value === undefined) return { problem: `environment variable ${token.name} is not set (use \${${token.name}:-default} to give a default)` };
  return value;
}

function restoreSource(text: string, tokens: Token[]): string {
  return text.replace(PLACEHOLDER, (match, index: string) => tokens[index.charCodeAt(0) - FIRST_INDEX]?.text ?? match);
}

// The YAML 1.2 core schema's numbers and booleans; anything else stays a string.
const INTEGER = /^[-+]?[0-9]+$/;
const FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

function plainScalarValue(text: string): string | number | boolean {
  if (/^(true|True|TRUE)$/.test(text)) return true;
  if (/^(false|False|FALSE)$/.test(text)) return false;
  if (INTEGER.test(text) || FLOAT.test(text)) return Number(text);
  if (/^0x[0-9a-fA-F]+$/.test(text)) return Number.parseInt(text.slice(2), 16);
  if (/^0o[0-7]+$/.test(text)) return Number.parseInt(text.slice(2), 8);
  return text;
}
