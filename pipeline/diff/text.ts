/**
 * The line-level diff of the files that are not Kubernetes objects (edge/haproxy.cfg, README.md,
 * anything else synth writes): a unified diff per file, grouped under its path.
 */
import type { FileTree } from '../files';
import { byText } from '../validate/context';

/** One hunk of a unified diff: `lines` start with ' ' (context), '-' (removed) or '+' (added). */
export interface Hunk {
  /** First line of the hunk in the old file (1-based; 0 when the old side is empty). */
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

/** Lines of context around each change, as `diff -u`. */
const CONTEXT = 3;
/** Above this many cells the middle is shown as replaced wholesale (the LCS table would be too big). */
const MAX_CELLS = 4_000_000;

type Op = { readonly op: ' ' | '-' | '+'; readonly text: string };

function linesOf(text: string | undefined): string[] {
  if (text === undefined || text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Edit script from `a` to `b`: common prefix and suffix, then a longest common subsequence. */
function editScript(a: readonly string[], b: readonly string[]): Op[] {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const ops: Op[] = a.slice(0, start).map((text) => ({ op: ' ', text }));
  const midA = a.slice(start, endA);
  const midB = b.slice(start, endB);
  const n = midA.length;
  const m = midB.length;
  if (n * m > MAX_CELLS) {
    ops.push(...midA.map((text): Op => ({ op: '-', text })), ...midB.map((text): Op => ({ op: '+', text })));
  } else {
    // lcs[i * (m + 1) + j]: length of the LCS of midA[i..] and midB[j..].
    const lcs = new Uint32Array((n + 1) * (m + 1));
    for (let i = n - 1; i >= 0; i--)
      for (let j = m - 1; j >= 0; j--)
        lcs[i * (m + 1) + j] =
          midA[i] === midB[j] ? lcs[(i + 1) * (m + 1) + j + 1]! + 1 : Math.max(lcs[(i + 1) * (m + 1) + j]!, lcs[i * (m + 1) + j + 1]!);
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && midA[i] === midB[j]) {
        ops.push({ op: ' ', text: midA[i]! });
        i++;
        j++;
      } else if (j >= m || (i < n && lcs[(i + 1) * (m + 1) + j]! >= lcs[i * (m + 1) + j + 1]!)) {
        ops.push({ op: '-', text: midA[i]! });
        i++;
      } else {
        ops.push({ op: '+', text: midB[j]! });
        j++;
      }
    }
  }
  ops.push(...a.slice(endA).map((text): Op => ({ op: ' ', text })));
  return ops;
}

/** The `@@ -a,b +c,d @@` line of a hunk, as GNU diff writes it (`,1` left out). */
export function hunkHeader(h: Hunk): string {
  const range = (start: number, lines: number) => (lines === 1 ? `${start}` : `${start},${lines}`);
  return `@@ -${range(h.beforeStart, h.beforeLines)} +${range(h.afterStart, h.afterLines)} @@`;
}

/** Unified-diff hunks from `before` to `after` (either may be undefined: file added or removed). */
export function lineDiff(before: string | undefined, after: string | undefined): Hunk[] {
  const ops = editScript(linesOf(before), linesOf(after));
  const hunks: Hunk[] = [];
  let k = 0;
  // Line numbers (0-based) reached in each file before ops[k].
  const posA: number[] = [];
  const posB: number[] = [];
  let la = 0;
  let lb = 0;
  for (const o of ops) {
    posA.push(la);
    posB.push(lb);
    if (o.op !== '+') la++;
    if (o.op !== '-') lb++;
  }
  while (k < ops.length) {
    if (ops[k]!.op === ' ') {
      k++;
      continue;
    }
    const from = Math.max(0, k - CONTEXT);
    let end = k;
    // Extend while the next change is within 2 × CONTEXT lines of the last one.
    for (;;) {
      while (end < ops.length && ops[end]!.op !== ' ') end++;
      let next = end;
      while (next < ops.length && ops[next]!.op === ' ') next++;
      if (next < ops.length && next - end <= 2 * CONTEXT) end = next;
      else break;
    }
    const to = Math.min(ops.length, end + CONTEXT);
    const slice = ops.slice(from, to);
    const beforeLines = slice.filter((o) => o.op !== '+').length;
    const afterLines = slice.filter((o) => o.op !== '-').length;
    hunks.push({
      beforeStart: beforeLines === 0 ? posA[from]! : posA[from]! + 1,
      beforeLines,
      afterStart: afterLines === 0 ? posB[from]! : posB[from]! + 1,
      afterLines,
      lines: slice.map((o) => `${o.op}${o.text}`),
    });
    k = to;
  }
  return hunks;
}

/**
 * Every file of either tree that `isObjectFile` does not cover (it yields Kubernetes objects,
 * diffed field by field elsewhere), added, removed or changed, sorted by path.
 */
export function diffFiles(before: FileTree, after: FileTree, isObjectFile: (path: string, content: string) => boolean): FileChange[] {
  const changes: FileChange[] = [];
  for (const path of [...new Set([...before.keys(), ...after.keys()])].sort(byText)) {
    const b = before.get(path);
    const a = after.get(path);
    if (b === a) continue;
    if ((b === undefined || isObjectFile(path, b)) && (a === undefined || isObjectFile(path, a))) continue;
    const hunks = lineDiff(b, a);
    const count = (op: string) => hunks.reduce((n, h) => n + h.lines.filter((l) => l.startsWith(op)).length, 0);
    changes.push({
      scope: 'file',
      type: b === undefined ? 'added' : a === undefined ? 'removed' : 'changed',
      path,
      added: count('+'),
      removed: count('-'),
      hunks,
    });
  }
  return changes;
}
