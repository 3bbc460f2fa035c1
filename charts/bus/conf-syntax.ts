/**
 * A small writer for the nats-server configuration language (a superset of JSON with `$VAR`
 * references). We render text from a typed value tree instead of templating strings, so quoting,
 * nesting and variable references are right by construction; the real `nats-server -t` checks the
 * result in the tests.
 */

/** A reference to an environment variable, rendered as `$NAME` (resolved by nats-server at start). */
export class EnvRef {
  constructor(readonly name: string) {
    if (!/^[A-Z_][A-Z0-9_]*$/.test(name)) throw new Error(`invalid environment variable name for a nats-server reference: ${name}`);
  }
}

/** A value of the configuration language. */
export type ConfValue = string | number | boolean | EnvRef | readonly ConfValue[] | ConfBlock;

/** A block (`name { ... }`): key order is kept as given, so the output is deterministic. */
export interface ConfBlock {
  readonly [key: string]: ConfValue | undefined;
}

const BARE_KEY = /^[a-z_][a-z0-9_]*$/i;

function quote(text: string): string {
  // JSON string escaping is valid in nats-server double-quoted strings.
  return JSON.stringify(text);
}

function renderValue(value: ConfValue, indent: string): string {
  if (value instanceof EnvRef) return `$${value.name}`;
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new Error(`nats-server configuration numbers must be integers, got ${value}`);
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    const list = value as readonly ConfValue[];
    if (list.length === 0) return '[]';
    return `[\n${list.map((v) => `${inner}${renderValue(v, inner)}`).join('\n')}\n${indent}]`;
  }
  const lines = renderEntries(value as ConfBlock, inner);
  return lines.length === 0 ? '{}' : `{\n${lines.join('\n')}\n${indent}}`;
}

function renderEntries(block: ConfBlock, indent: string): string[] {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(block)) {
    if (value === undefined) continue;
    const name = BARE_KEY.test(key) ? key : quote(key);
    lines.push(`${indent}${name}: ${renderValue(value, indent)}`);
  }
  return lines;
}

/** Renders a whole configuration file: a header comment, then the top-level keys. */
export function renderConf(top: ConfBlock, header: readonly string[] = []): string {
  return [...header.map((h) => `# ${h}`), ...renderEntries(top, '')].join('\n') + '\n';
}
