/**
 * The failure report's files, rendered on every synth with the rest of gitops/: REPORT.md, and
 * the platform's diagram added to gitops/README.md.
 */
import type { PlatformModel } from '../../sites';
import { mermaidBlock, platformDiagram } from './diagram';
import type { SiteFailureFacts } from './failures';
import { renderReport } from './markdown';

export { failureOutcomes, publicTrafficSites, type FailureOutcome, type SiteFailureFacts } from './failures';
export { renderReport, reportSummary } from './markdown';
export { platformDiagram } from './diagram';

/** REPORT.md, and README.md (`readme`, the one the platform renders) with the diagram of the sites and the edge. */
export function reportFiles(model: PlatformModel, sites: readonly SiteFailureFacts[], readme: string): Map<string, string> {
  const diagram = [
    '## The platform',
    '',
    'The sites with their floating addresses, the edge in front and the links between the sites (rendered from the model;',
    'what each failure does to it: [REPORT.md](REPORT.md)).',
    '',
    mermaidBlock(platformDiagram(sites, model.edge)),
    '',
  ].join('\n');
  return new Map([
    ['README.md', `${readme.trimEnd()}\n\n${diagram}`],
    ['REPORT.md', renderReport(sites, model.edge)],
  ]);
}
