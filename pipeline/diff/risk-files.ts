/**
 * Risk of a change to a file that is not a Kubernetes object. Everything under edge/ is the edge
 * proxy's configuration (haproxy.cfg), which routes all public traffic to the sites.
 */
import { highest, type RatedFileChange, type RiskNote } from './risk-types';
import type { FileChange } from './text';
import { FAILURE_REPORT, rateFailureReport } from './risk-report';

export function rateFile(change: FileChange): RatedFileChange {
  const notes: RiskNote[] = [];
  if (change.path.startsWith('edge/')) {
    if (change.type === 'removed')
      notes.push({ risk: 'high', reason: 'edge routing removed: the edge proxy loses the configuration that routes all public traffic' });
    else notes.push({ risk: 'medium', reason: 'edge routing changes: this file routes all public traffic to the sites' });
  }
  if (change.path === FAILURE_REPORT && change.type === 'changed') notes.push(...rateFailureReport(change));
  return { ...change, risk: highest(notes), notes };
}
