/** The vocabulary of the rated diff: risks, the reasons behind them, and rated changes. */
import type { FieldChange } from './fields';
import type { FileChange } from './text';

export type Risk = 'low' | 'medium' | 'high';
export const RISK_ORDER: Record<Risk, number> = { low: 0, medium: 1, high: 2 };

/** A reason a change is risky. */
export interface RiskNote {
  readonly risk: Risk;
  /** Field it is about, if any. */
  readonly path?: string;
  readonly reason: string;
}

/** What happened to one object (matched by site, component, kind, namespace and name). */
export interface ObjectChange {
  readonly scope: 'object';
  readonly type: 'added' | 'removed' | 'changed';
  readonly site: string;
  readonly component: string;
  readonly kind: string;
  /** `Kind/name` or `Kind/namespace/name`. */
  readonly id: string;
  readonly fields: readonly FieldChange[];
}

/** An object change with its rating (the highest of its notes). */
export interface RatedObjectChange extends ObjectChange {
  readonly risk: Risk;
  readonly notes: readonly RiskNote[];
}

/** A change to a file that is not a Kubernetes object, with its rating. */
export interface RatedFileChange extends FileChange {
  readonly risk: Risk;
  readonly notes: readonly RiskNote[];
}

/** Any rated change: `scope` tells an object from another file. */
export type RatedChange = RatedObjectChange | RatedFileChange;

export function highest(notes: readonly { readonly risk: Risk }[]): Risk {
  return notes.reduce<Risk>((r, n) => (RISK_ORDER[n.risk] > RISK_ORDER[r] ? n.risk : r), 'low');
}
