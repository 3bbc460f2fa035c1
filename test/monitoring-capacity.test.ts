/** The monitoring stack in the capacity check: its pods' requests, and Prometheus's volumes the operator claims. */
import { storageUsage } from '../pipeline/validate/capacity/storage';
import { MONITORING_WORKLOADS } from '../charts/monitoring/release';
import { renderAll } from './monitoring-helpers';

test.each(renderAll().map((r) => [r.site.name, r] as const))('site %s counts the stack', (_name, rendered) => {
  const monitoring = rendered.components.find((c) => c.name === 'monitoring')!;
  const declared = monitoring.declarations.upstreamWorkloads.map((w) => w.name);
  for (const w of Object.values(MONITORING_WORKLOADS)) expect(declared).toContain(w.name);
  const prometheus = storageUsage(rendered).claims.find((c) => c.name.startsWith(`monitoring: ${MONITORING_WORKLOADS.prometheus.name}`));
  // Two replicas of 5 GiB on the 2-copy replicated class.
  expect(prometheus).toEqual(expect.objectContaining({ sizeGiB: 10, replicas: 2, storageClass: 'mayastor' }));
});
