import type { z } from 'zod/v4';
import { BridgeError } from '../errors.js';

type Issue = z.core.$ZodIssue;
type PathKey = PropertyKey;

/** "expand.left", "capabilities.models[0].name": the field path format used in every error. */
export function formatFieldPath(path: readonly PathKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

/** Turns the first zod issue into an invalid_field BridgeError naming the field. */
export function issueToBridgeError(issues: readonly Issue[]): BridgeError {
  const issue = issues[0];
  if (issue === undefined) return new BridgeError('invalid_field', 'Invalid message.');
  const { path, text } = describeIssue(issue, []);
  const field = formatFieldPath(path);
  return new BridgeError('invalid_field', field === '' ? text : `${field}: ${text}`, field === '' ? undefined : field);
}

function describeIssue(issue: Issue, prefix: readonly PathKey[]): { path: PathKey[]; text: string } {
  const path = [...prefix, ...issue.path];
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined
        ? { path, text: 'is required' }
        : { path, text: `expected ${article(issue.expected)}, got ${describeValue(issue.input)}` };
    case 'too_small':
      return { path, text: boundText(issue.origin, issue.inclusive === false ? 'more than' : 'at least', issue.minimum) };
    case 'too_big':
      return { path, text: boundText(issue.origin, issue.inclusive === false ? 'less than' : 'at most', issue.maximum) };
    case 'not_multiple_of':
      return { path, text: `must be a multiple of ${String(issue.divisor)}` };
    case 'invalid_format':
      return { path, text: issue.format === 'regex' ? 'has characters or a length that are not allowed' : `must be a valid ${issue.format}` };
    case 'invalid_value':
      return { path, text: issue.values.length <= 6 ? `must be ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}` : 'is not one of the known values' };
    case 'unrecognized_keys': {
      const key = issue.keys[0] ?? '';
      return { path: [...path, key], text: 'is not a known field' };
    }
    case 'invalid_union':
      return describeUnion(issue, path);
    default:
      return { path, text: issue.message };
  }
}

/**
 * A union (e.g. `preview: boolean | {every}`) reports one issue list per alternative. The
 * alternative that got furthest into the value (longest path) is the one the sender meant.
 */
function describeUnion(issue: z.core.$ZodIssueInvalidUnion, path: PathKey[]): { path: PathKey[]; text: string } {
  let best: Issue | undefined;
  for (const branch of issue.errors) {
    const first = branch[0];
    if (first !== undefined && (best === undefined || depth(first) > depth(best))) best = first;
  }
  if (best === undefined || depth(best) === 0) return { path, text: 'has a shape that is not allowed' };
  return describeIssue(best, path);
}

/** How far into the value an issue points; an unknown key points one level below its object. */
function depth(issue: Issue): number {
  return issue.path.length + (issue.code === 'unrecognized_keys' ? 1 : 0);
}

function boundText(origin: string, relation: string, bound: number | bigint): string {
  if (origin === 'string') return `must have ${relation} ${String(bound)} characters`;
  if (origin === 'array' || origin === 'set') return `must have ${relation} ${String(bound)} items`;
  return `must be ${relation} ${String(bound)}`;
}

function article(expected: string): string {
  if (expected === 'int') return 'an integer';
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number' && !Number.isInteger(value)) return 'a fraction';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
