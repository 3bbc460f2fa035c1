/**
 * The exporter the monitoring component picks for SQL health signals (charts/lib/resilience.ts):
 * postgres_exporter beside each pod the signal is read on, running the signal's own query from a
 * queries file (`--extend.query-path`), so the alert reads exactly what the component declared.
 * A query named `<name>` with a `value` column gives the metric `<name>_value`
 * (prometheus-community/postgres_exporter@v0.20.1:exporter/postgres_exporter.go, makeDescMap).
 */
import type { k8s } from 'cdk8s-plus-28';
import { stringify } from 'yaml';
import { RecentValues } from '../../model/recent-values';
import { slug } from '../contour/route-proxy';
import type { HealthSignal } from '../lib/resilience';
import { httpProbe, resources, restrictedContainerSecurity } from '../lib/workload';

export const SQL_EXPORTER_IMAGE = 'quay.io/prometheuscommunity/postgres-exporter:v0.20.1';
/** The exporter's default port. */
export const SQL_EXPORTER_PORT = 9187;
const QUERIES_DIR = '/etc/health-signals';
export const QUERIES_FILE = 'queries.yaml';

/** The query name of a signal: `PostgresStandbyNotStreaming` -> `platform_health_postgres_standby_not_streaming`. */
function queryName(signal: Pick<HealthSignal, 'name'>): string {
  return `platform_health_${slug(signal.name.replace(/([a-z])([A-Z])/g, '$1_$2')).replace(/-/g, '_')}`;
}

/** The metric a health signal's query gives. */
export function healthSignalMetric(signal: Pick<HealthSignal, 'name'>): string {
  return `${queryName(signal)}_value`;
}

/** Queries files made so far, by what they are made of (the same signals come back in every site). */
const queriesFiles = new RecentValues<string>(64);

/** The queries file of the signals (each query returns one row with a `value` column). */
export function healthSignalQueries(signals: readonly HealthSignal[]): string {
  const entries = signals.map(
    (s) => [queryName(s), { query: s.source.query, metrics: [{ value: { usage: 'GAUGE', description: s.summary } }] }] as const,
  );
  // The key is the whole document stringify is given: it reads nothing else.
  const key = JSON.stringify(entries);
  return queriesFiles.getOrMake(key, () => stringify(Object.fromEntries(entries)));
}

/** Where the exporter finds the database: its Unix socket directory and a superuser's password file. */
export interface SqlExporterProps {
  /** The signals it reads (all on the same database). */
  readonly signals: readonly HealthSignal[];
  /** Directory of the server's Unix socket, shared with the exporter's container. */
  readonly socketDir: string;
  /** Volume holding that directory. */
  readonly socketVolume: string;
  /** User it connects as (over the socket, password checked). */
  readonly user: string;
  /** Volume and file name of that user's password. */
  readonly password: { readonly volume: string; readonly dir: string; readonly file: string };
  /** The ConfigMap holding `queries.yaml` (healthSignalQueries). */
  readonly queriesVolume: string;
}

/** The environment the exporter connects with (the test runs the real exporter with it). */
export function sqlExporterEnv(
  props: Pick<SqlExporterProps, 'signals' | 'socketDir' | 'user'> & { readonly port: number; readonly passwordFile: string },
): k8s.EnvVar[] {
  const database = props.signals[0]?.source.database ?? 'postgres';
  return [
    { name: 'DATA_SOURCE_URI', value: `:${props.port}/${database}?host=${props.socketDir}&sslmode=disable` },
    { name: 'DATA_SOURCE_USER', value: props.user },
    { name: 'DATA_SOURCE_PASS_FILE', value: props.passwordFile },
  ];
}

/** The exporter's container, for the pod the signals are read on. */
export function sqlExporterContainer(props: SqlExporterProps & { readonly port: number }): k8s.Container {
  return {
    name: 'health-exporter',
    image: SQL_EXPORTER_IMAGE,
    imagePullPolicy: 'IfNotPresent',
    args: [`--extend.query-path=${QUERIES_DIR}/${QUERIES_FILE}`, '--disable-default-metrics'],
    env: sqlExporterEnv({ ...props, passwordFile: `${props.password.dir}/${props.password.file}` }),
    ports: [{ name: 'health', containerPort: SQL_EXPORTER_PORT }],
    resources: resources({ cpuMillis: 10, memoryMiB: 32, memoryLimitMiB: 64 }),
    readinessProbe: httpProbe('/', SQL_EXPORTER_PORT),
    livenessProbe: httpProbe('/', SQL_EXPORTER_PORT, { periodSeconds: 30 }),
    securityContext: restrictedContainerSecurity(),
    volumeMounts: [
      { name: props.socketVolume, mountPath: props.socketDir },
      { name: props.password.volume, mountPath: props.password.dir, readOnly: true },
      { name: props.queriesVolume, mountPath: QUERIES_DIR, readOnly: true },
    ],
  };
}
