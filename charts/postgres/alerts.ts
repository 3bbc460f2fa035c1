/**
 * Alerts on stolon's own metrics (sorintlab/stolon@v0.17.0:cmd/keeper/cmd/metrics.go,
 * cmd/sentinel/cmd/metrics.go): a keeper down, no keeper in the master role (on the standby site:
 * in the standby role). The standby's
 * replication state is a health signal (resilience.ts), which the monitoring component turns into
 * its alert.
 */
import type { AlertRule } from '../lib/alerts';

const RUNBOOK = 'docs/runbooks/postgres-alerts.md';

/** What the keepers' and sentinels' /metrics serve that the alerts read. */
export const STOLON_METRICS = {
  keeper: ['stolon_keeper_local_role', 'stolon_keeper_last_sync_success_seconds', 'stolon_keeper_needs_restart'],
  sentinel: ['stolon_sentinel_last_cluster_check_success_seconds', 'stolon_sentinel_leader_count'],
  proxy: [],
} as const;

/**
 * The alerts of the site's stolon cluster; `keeperJob` is the scrape job of the keepers, `isPrimary`
 * whether the site's cluster is the primary (a standby cluster has no master, ever).
 */
export function stolonAlerts(keeperJob: string, isPrimary: boolean): AlertRule[] {
  const up = (instance: string) => `up{job="${keeperJob}",instance="${instance}"}`;
  return [
    {
      name: 'PostgresKeeperDown',
      expr: `up{job="${keeperJob}"} == 0`,
      for: '2m',
      severity: 'critical',
      summary: 'Keeper {{ $labels.instance }} is down: the site runs on one copy of its database until it returns.',
      runbook: `${RUNBOOK}#postgreskeeperdown`,
      proof: {
        failing: [{ series: up('k0:8080'), values: '1 0x10' }],
        healthy: [{ series: up('k0:8080'), values: '1x10' }],
        at: '10m',
        labels: { job: keeperJob, instance: 'k0:8080' },
      },
    },
    noKeeperInRole(keeperJob, isPrimary ? IN_ROLE.primary : IN_ROLE.standby),
  ];
}

/**
 * The role a site's keepers must hold for the site to work, by the site's side of the pair. Every
 * keeper reports its role (0 or 1 per role). A primary cluster needs one `master`: none means
 * nobody takes writes. In a standby cluster every keeper, the standby leader included, reports
 * `standby` (its data directory holds standby.signal: internal/postgresql/postgresql.go GetRole):
 * none means no keeper holds an initialised copy of the primary site's database.
 */
const IN_ROLE = {
  primary: {
    name: 'PostgresNoMaster',
    role: 'master',
    // What a keeper that is not master reports on a healthy primary site.
    otherwise: 'standby',
    summary: 'No stolon keeper of this site is master: the database takes no writes.',
  },
  standby: {
    name: 'PostgresNoStandby',
    role: 'standby',
    // A keeper not yet initialised from the primary site.
    otherwise: 'undefined',
    summary: 'No stolon keeper of this standby site holds a standby copy: nothing follows the primary site, and the site serves no reads.',
  },
} as const;

/** The alert that no keeper of the site holds `expected.role`; it fires when one keeper holding it is enough and none does. */
function noKeeperInRole(keeperJob: string, expected: (typeof IN_ROLE)[keyof typeof IN_ROLE]): AlertRule {
  const role = (instance: string, r: string) => `stolon_keeper_local_role{job="${keeperJob}",instance="${instance}",role="${r}"}`;
  return {
    name: expected.name,
    expr: `sum(stolon_keeper_local_role{job="${keeperJob}",role="${expected.role}"}) < 1 or absent(stolon_keeper_local_role{job="${keeperJob}"})`,
    for: '2m',
    severity: 'critical',
    summary: expected.summary,
    runbook: `${RUNBOOK}#${expected.name.toLowerCase()}`,
    proof: {
      failing: [
        { series: role('k0:8080', expected.role), values: '1 0x10' },
        { series: role('k0:8080', expected.otherwise), values: '0 1x10' },
        { series: role('k1:8080', expected.role), values: '0x10' },
      ],
      healthy: [
        { series: role('k0:8080', expected.role), values: '1x10' },
        { series: role('k1:8080', expected.role), values: '0x10' },
        { series: role('k1:8080', expected.otherwise), values: '1x10' },
      ],
      at: '10m',
    },
  };
}
