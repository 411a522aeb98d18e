// Turns schema issues into problems with messages written for operators.
import type { z } from 'zod';
import { closestKey } from './did-you-mean.js';
import type { Problem } from './errors.js';

type Issue = z.core.$ZodIssue;
type RawIssue = z.core.$ZodRawIssue;

/** `knownKeys` gives the keys accepted at a path, for "did you mean" on an unknown key. */
export function issuesToProblems(issues: readonly Issue[], knownKeys: (path: Problem['path']) => string[] = () => []): Problem[] {
  return issues.flatMap((issue): Problem[] => {
    const path = issue.path.map((part) => (typeof part === 'number' ? part : String(part)));
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeys(path);
      return issue.keys.map((key) => ({ path: [...path, key], message: unknownKey(key, known), at: 'key' }));
    }
    if (issue.code === 'invalid_key') {
      return [{ path, message: issue.issues[0]?.message ?? issue.message, at: 'key' }];
    }
    if (issue.code === 'invalid_union') {
      const branch = matchingBranch(issue.errors);
      if (branch !== null) return issuesToProblems(branch.map((inner) => ({ ...inner, path: [...issue.path, ...inner.path] })), knownKeys);
    }
    return [{ path, message: issue.message, at: isAboutKey(issue) ? 'key' : 'value' }];
  });
}

/**
 * A value that is one thing or another (a mapping or a list of them) failed every branch: the one
 * branch whose type it has says what is wrong inside it, where zod would only say "Invalid input".
 * null when no branch, or more than one, took the value's type.
 */
function matchingBranch(branches: readonly (readonly Issue[])[]): readonly Issue[] | null {
  // A branch with an issue about the value itself (wrong type, not the literal) did not take it.
  const typed = branches.filter((issues) => !issues.some((inner) => inner.path.length === 0));
  return typed.length === 1 ? typed[0]! : null;
}

function unknownKey(key: string, known: readonly string[]): string {
  const suggestion = closestKey(key, known);
  return suggestion === null ? `unknown key "${key}"` : `unknown key "${key}" (did you mean "${suggestion}"?)`;
}

// Refused keys (schema/scalars.ts notSupported) parse as `never`; header-name problems say so in params.
function isAboutKey(issue: Issue): boolean {
  if (issue.code === 'invalid_type') return issue.expected === 'never';
  return issue.code === 'custom' && issue.params?.['at'] === 'key';
}

/** The error map for a parse: schema-level messages win over these. */
export function operatorMessage(issue: RawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      return invalidType(issue.expected, issue.input);
    case 'too_small':
      return tooSmall(issue.origin, issue.minimum, issue.inclusive);
    case 'too_big':
      return tooBig(issue.origin, issue.maximum, issue.inclusive);
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describe(issue.input)}`;
    default:
      return undefined;
  }
}

function invalidType(expected: string, input: unknown): string {
  if (input === undefined) return 'required key is missing';
  const message = `expected ${article(expected)}, got ${describe(input)}`;
  const scalar = typeof input === 'number' || typeof input === 'boolean';
  return expected === 'string' && scalar ? `${message} (quote it to keep it a string)` : message;
}

function tooSmall(origin: string, minimum: number | bigint, inclusive: boolean | undefined): string {
  if (origin === 'array') return `must have at least ${minimum} item${minimum === 1 ? '' : 's'}`;
  if (origin === 'string') return minimum === 1 ? 'must not be empty' : `must be at least ${minimum} characters long`;
  return `must be ${inclusive === false ? 'greater than' : 'at least'} ${minimum}`;
}

function tooBig(origin: string, maximum: number | bigint, inclusive: boolean | undefined): string {
  if (origin === 'array') return `must have at most ${maximum} items`;
  if (origin === 'string') return `must be at most ${maximum} characters long`;
  return `must be ${inclusive === false ? 'less than' : 'at most'} ${maximum}`;
}

function article(expected: string): string {
  if (expected === 'object' || expected === 'record') return 'a mapping';
  if (expected === 'array') return 'a list';
  if (expected === 'int') return 'a whole number';
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function describe(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  if (typeof input === 'string') return `the string ${JSON.stringify(input)}`;
  return `${typeof input} ${String(input)}`;
}
