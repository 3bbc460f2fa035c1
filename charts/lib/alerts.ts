/**
 * Alert rules a component declares next to its code, for the monitoring component to render as
 * PrometheusRules. Each rule carries its own proof: series on which it must fire and series on
 * which it must stay silent, which the tests give to `promtool test rules`. A rule reads only
 * metrics some component declares it exposes (`MetricsEndpoint.metrics`), and links to a runbook
 * under docs/.
 */

/** One input series of a rule's proof, in promtool's notation (`up{component="bus"}`, `1x10` or `0+1x20`). */
export interface ProofSeries {
  /** The series: metric name and labels. */
  readonly series: string;
  /** Its samples, one per minute, in promtool's expanding notation. */
  readonly values: string;
}

/** The series a rule fires on and those it stays silent on, evaluated at `at`. */
export interface AlertProof {
  /** Series of the failure the alert names: it fires at `at`. */
  readonly failing: readonly ProofSeries[];
  /** Series of a healthy platform: nothing fires at `at`. */
  readonly healthy: readonly ProofSeries[];
  /** When both are evaluated (a duration from the first sample, past the rule's `for`). */
  readonly at: string;
  /**
   * The labels the firing alert carries from its series (besides the rule's own).
   * @default none (an aggregated expression)
   */
  readonly labels?: Readonly<Record<string, string>>;
}

/** How urgent an alert is: `critical` pages (a promise is broken now), `warning` mails (it will be). */
export type AlertSeverity = 'critical' | 'warning';

/** An alert rule a component declares (rendered into its site's PrometheusRules). */
export interface AlertRule {
  /** Alert name, CamelCase (`PostgresKeeperDown`). */
  readonly name: string;
  /** PromQL expression: every row it returns is a firing alert. */
  readonly expr: string;
  /** How long the expression must hold before the alert fires (Go duration). */
  readonly for: string;
  /** How urgent it is (Alertmanager routes on it). */
  readonly severity: AlertSeverity;
  /** One line for people: what is wrong. */
  readonly summary: string;
  /** The runbook to follow: a path under docs/ in this repository, with an optional `#anchor`. */
  readonly runbook: string;
  /** Series it fires on and stays silent on (test/monitoring-rules.test.ts runs them with promtool). */
  readonly proof: AlertProof;
}

/**
 * The `job` label Prometheus gives the targets of a metrics endpoint's pods: the pods'
 * `app.kubernetes.io/name` (`postgres-keeper`), else their component. Alerts select a job by it.
 */
export function scrapeJob(pods: { readonly component: string; readonly podLabels: Readonly<Record<string, string>> }): string {
  return pods.podLabels['app.kubernetes.io/name'] ?? pods.component;
}
