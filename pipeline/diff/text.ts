/**
 * Line diffs, by jsdiff: the files that are not Kubernetes objects (edge/haproxy.cfg, README.md,
 * anything else synth writes) and multi-line values inside objects (a configuration file in a
 * ConfigMap), as unified-diff hunks with 3 lines of context, as `diff -u` writes them.
 */
import { structuredPatch } from 'diff';

/** One hunk of a unified diff: `lines` start with ' ' (context), '-' (removed) or '+' (added). */
export interface Hunk {
  /** First line of the hunk in the old file (1-based). */
  readonly beforeStart: number;
  readonly beforeLines: number;
  readonly afterStart: number;
  readonly afterLines: number;
  readonly lines: readonly string[];
}

/** A file that is not a Kubernetes object, added, removed or changed. */
export interface FileChange {
  readonly scope: 'file';
  readonly type: 'added' | 'removed' | 'changed';
  /** Path relative to gitops/. */
  readonly path: string;
  readonly added: number;
  readonly removed: number;
  readonly hunks: readonly Hunk[];
}

/** The `@@ -a,b +c,d @@` line of a hunk, as GNU diff writes it (`,1` left out, an empty side at the line before). */
export function hunkHeader(h: Hunk): string {
  const range = (start: number, lines: number) => (lines === 1 ? `${start}` : `${lines === 0 ? start - 1 : start},${lines}`);
  return `@@ -${range(h.beforeStart, h.beforeLines)} +${range(h.afterStart, h.afterLines)} @@`;
}

/** Unified-diff hunks from `before` to `after` (either may be undefined: file added or removed). */
export function lineDiff(before: string | undefined, after: string | undefined): Hunk[] {
  return structuredPatch('a', 'b', before ?? '', after ?? '', undefined, undefined, { context: 3 }).hunks.map((h) => ({
    beforeStart: h.oldStart,
    beforeLines: h.oldLines,
    afterStart: h.newStart,
    afterLines: h.newLines,
    lines: h.lines,
  }));
}

/** A file change of one path, with its added and removed line counts. */
export function fileChange(path: string, before: string | undefined, after: string | undefined): FileChange {
  const hunks = lineDiff(before, after);
  const count = (op: string) => hunks.reduce((n, h) => n + h.lines.filter((l) => l.startsWith(op)).length, 0);
  return {
    scope: 'file',
    type: before === undefined ? 'added' : after === undefined ? 'removed' : 'changed',
    path,
    added: count('+'),
    removed: count('-'),
    hunks,
  };
}
