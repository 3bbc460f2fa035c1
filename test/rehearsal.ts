/**
 * The rehearsal's core: what the failure report predicts (pipeline/report, from the committed
 * model), what the real programs did when the failure was injected, and the comparison. Each
 * data path's rehearsal (test/rehearse-*.test.ts) records one row per failure and component;
 * any disagreement fails it. `npm run rehearse` runs them all and prints every table.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ServiceState } from '../charts/lib/resilience';
import { failureOutcomes, type FailureOutcome } from '../pipeline/report';
import { siteFailureFacts, type SiteFailureFacts } from '../pipeline/report/failures';
import { renderSite } from '../pipeline/render';
import { checkCapacity } from '../pipeline/validate/capacity';
import type { PlatformModel } from '../sites';
import { REPO_ROOT } from './helpers';

/** What a client saw: writes accepted, only reads answered, or nothing. */
export type Observed = 'serves' | 'reads only' | 'nothing';

/** What a predicted state means for a client of the data path. */
export function expectedObservation(state: ServiceState | 'unknown'): Observed | undefined {
  if (state === 'up' || state === 'degraded') return 'serves';
  if (state === 'read-only') return 'reads only';
  if (state === 'down') return 'nothing';
  return undefined;
}

/** One failure's prediction and what was observed. */
export interface RehearsalRow {
  readonly failure: string;
  /** What was checked: `cluster1/bus`, `public traffic`. */
  readonly subject: string;
  readonly predicted: string;
  readonly observed: string;
}

/** The failure report's outcomes for a model (the committed one unless given). */
export function predictions(model: PlatformModel): FailureOutcome[] {
  const facts: SiteFailureFacts[] = model.sites.map((s) => {
    const rendered = renderSite(s, model);
    return siteFailureFacts(rendered, checkCapacity(rendered));
  });
  return failureOutcomes(facts, model.edge);
}

/** The outcome of the failure titled `title` (as REPORT.md titles it). */
export function outcomeTitled(outcomes: readonly FailureOutcome[], title: string): FailureOutcome {
  const found = outcomes.find((o) => o.title === title);
  if (!found) throw new Error(`the report has no failure "${title}": ${outcomes.map((o) => o.title).join(', ')}`);
  return found;
}

/** The predicted state of `site/component` in an outcome. */
export function predictedState(o: FailureOutcome, site: string, component: string): ServiceState | 'unknown' {
  const c = o.components.find((x) => x.site === site && x.component === component);
  if (!c) throw new Error(`no ${site}/${component} in the report's "${o.title}"`);
  return c.impact.state;
}

/** A rehearsal's table: rows as they are observed, then the disagreements. */
export class Rehearsal {
  readonly rows: RehearsalRow[] = [];

  constructor(readonly dataPath: string) {}

  /** Records a component's predicted state against what a client observed. */
  component(failure: string, subject: string, state: ServiceState | 'unknown', observed: Observed): void {
    this.rows.push({ failure, subject, predicted: `${state} (${expectedObservation(state) ?? '?'})`, observed });
  }

  /** Records any other prediction (where public traffic goes) against what was observed. */
  fact(failure: string, subject: string, predicted: string, observed: string): void {
    this.rows.push({ failure, subject, predicted, observed });
  }

  /** Rows where the observation is not what was predicted. */
  disagreements(): RehearsalRow[] {
    return this.rows.filter((r) => !agrees(r));
  }

  /** The table, one row per check, `!!` marking a disagreement. */
  table(): string {
    const widths = [0, 1, 2].map((i) => Math.max(...this.rows.map((r) => [r.failure, r.subject, r.predicted][i]!.length), 10));
    const line = (r: RehearsalRow, mark: string) =>
      `${mark} ${r.failure.padEnd(widths[0]!)}  ${r.subject.padEnd(widths[1]!)}  ${r.predicted.padEnd(widths[2]!)}  ${r.observed}`;
    return [
      `rehearsal: ${this.dataPath}`,
      line({ failure: 'failure', subject: 'what', predicted: 'predicted', observed: 'observed' }, '  '),
      ...this.rows.map((r) => line(r, agrees(r) ? 'ok' : '!!')),
    ].join('\n');
  }

  /** Writes the table where `npm run rehearse` prints it from (dist/rehearsal/). */
  save(): void {
    const dir = path.join(REPO_ROOT, 'dist', 'rehearsal');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `${this.dataPath}.txt`), `${this.table()}\n`);
  }
}

function agrees(r: RehearsalRow): boolean {
  const inParens = /\(([^)]+)\)$/.exec(r.predicted)?.[1];
  return (inParens ?? r.predicted) === r.observed;
}
