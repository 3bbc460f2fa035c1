/**
 * The Alertmanager configuration of a site, a pure function of the site model: every alert goes by
 * mail to the site's SRE address, critical ones at once and repeated hourly, warnings grouped and
 * repeated twice a day. The SMTP password is a file Alertmanager reads from a Secret that External
 * Secrets fills from Vault: the configuration in git names the file, never the value.
 */
import type { Site } from '../../sites';
import type { AlertSeverity } from '../lib/alerts';
import { TARGET_DOWN } from './platform-alerts';

/** Where the SMTP password Secret is mounted in Alertmanager pods (the operator's `secrets` mount path). */
export function smtpPasswordFile(secretName: string): string {
  return `/etc/alertmanager/secrets/${secretName}/password`;
}

/** The mail settings of a site's alerts (`site.monitoring.mail`, with defaults from its domain). */
export interface AlertMail {
  readonly to: string;
  readonly from: string;
  readonly smarthost: string;
  readonly username: string;
  readonly credentialsPath: string;
}

/** The site's mail settings, defaults filled in. */
export function alertMail(site: Site): AlertMail {
  const domain = site.dns.publicDomain;
  const mail = site.monitoring?.mail;
  return {
    to: mail?.to ?? `sre@${domain}`,
    from: mail?.from ?? `alertmanager-${site.name}@${domain}`,
    smarthost: mail?.smarthost ?? `smtp.${domain}:587`,
    username: mail?.username ?? `alertmanager-${site.name}`,
    credentialsPath: mail?.credentialsPath ?? 'monitoring/smtp',
  };
}

/** How each severity is notified. */
const NOTIFY: Readonly<Record<AlertSeverity, { readonly groupWait: string; readonly repeat: string }>> = {
  critical: { groupWait: '10s', repeat: '1h' },
  warning: { groupWait: '1m', repeat: '12h' },
};

/** The receiver of a severity. */
export function receiverOf(severity: AlertSeverity): string {
  return `mail-${severity}`;
}

/**
 * A critical alert about one scrape target (`PostgresKeeperDown` is `up{job="postgres-keeper"} ==
 * 0`) names the same failure as the stack's generic `TargetDown` warning on that target, with what
 * it costs: the warning is not mailed beside it. Every `up` series has a `job` and an `instance`,
 * so a critical alert without them (an aggregate: `EnvoyNoneUp`, `SiteUnreachable`) silences no
 * `TargetDown` (Alertmanager takes a label absent on both sides as equal).
 */
export const TARGET_DOWN_INHIBITION = {
  source_matchers: ['severity="critical"'],
  target_matchers: [`alertname="${TARGET_DOWN}"`],
  equal: ['job', 'instance'],
} as const;

/** A complete Alertmanager configuration (every key the chart's default sets is set, so Helm merges nothing in). */
export function alertmanagerConfig(site: Site, smtpSecretName: string): Record<string, unknown> {
  const mail = alertMail(site);
  const severities = Object.keys(NOTIFY) as AlertSeverity[];
  return {
    global: {
      resolve_timeout: '5m',
      smtp_smarthost: mail.smarthost,
      smtp_from: mail.from,
      smtp_auth_username: mail.username,
      smtp_auth_password_file: smtpPasswordFile(smtpSecretName),
      smtp_require_tls: true,
    },
    route: {
      receiver: receiverOf('warning'),
      group_by: ['alertname', 'site', 'component'],
      group_wait: '30s',
      group_interval: '5m',
      repeat_interval: NOTIFY.warning.repeat,
      routes: [
        // The chart's always-firing rule is off (defaultRules.create: false); drop it should it come back.
        { receiver: 'null', matchers: ['alertname="Watchdog"'] },
        ...severities.map((s) => ({
          receiver: receiverOf(s),
          matchers: [`severity="${s}"`],
          group_wait: NOTIFY[s].groupWait,
          repeat_interval: NOTIFY[s].repeat,
        })),
      ],
    },
    inhibit_rules: [TARGET_DOWN_INHIBITION],
    receivers: [
      { name: 'null' },
      ...severities.map((s) => ({
        name: receiverOf(s),
        email_configs: [
          {
            to: mail.to,
            send_resolved: true,
            headers: { Subject: `[${s.toUpperCase()}] ${site.name}: {{ .CommonLabels.alertname }} ({{ .Alerts.Firing | len }} firing)` },
          },
        ],
      })),
    ],
    templates: [],
  };
}
