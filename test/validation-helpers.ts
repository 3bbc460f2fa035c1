/** What the validation tests share: sites with room to spare, and the findings of a render with demo components added. */
import type { Finding } from '../model/errors';
import { renderSite } from '../pipeline/render';
import { validateRendered } from '../pipeline/validate';
import { PLATFORM, SITES } from '../sites';
import { demos, type DemoProps } from './fixtures/extras';
import { withChange } from './helpers';

/**
 * The committed sites accept exactly the overcommit they measure; a demo workload added on top
 * would exceed it. Policy and schema tests run on sites with room to spare; the capacity tests
 * set their own.
 */
export const ROOMY = SITES.map((s) =>
  withChange(s, (d) => {
    d.capacity = { acceptOvercommit: { reason: 'test', cpuPercent: 1000, memoryPercent: 1000 } };
  }),
);

/** Findings of every site rendered with `demo` added to each. */
export function findingsWith(demo: DemoProps | DemoProps[], sites = ROOMY): Finding[] {
  const extend = demos({ '*': Array.isArray(demo) ? demo : [demo] });
  return [...validateRendered(sites.map((s) => renderSite(s, { ...PLATFORM, sites }, { extend }))).findings];
}
