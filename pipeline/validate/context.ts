/** Shared helpers of the validation checks: where an object comes from, how findings name it. */
import type { KubeObject } from '../render';

/** The site and component an object was rendered for. */
export interface ObjectContext {
  /** Site name. */
  readonly site: string;
  /** Component name (directory under gitops/<site>/). */
  readonly component: string;
}

/** `Kind/name` or `Kind/namespace/name`, as findings name objects. */
export function objectId(object: KubeObject): string {
  const ns = object.metadata?.namespace;
  return `${object.kind}/${ns ? `${ns}/` : ''}${object.metadata?.name ?? '?'}`;
}

/** Plain-object view of an unknown value. */
export function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** Array view of an unknown value. */
export function list(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.map(record) : [];
}

/** Compares strings without locale (deterministic output). */
export function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
