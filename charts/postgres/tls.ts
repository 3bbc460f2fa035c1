/**
 * TLS of PostgreSQL: every keeper serves a certificate from the platform CA (cert-manager,
 * cert-manager/internal-ca.ts) naming its site's exposed database address and the in-cluster
 * Services, and a standby site replicates with `sslmode=verify-full` against that CA, so the
 * data and the authentication exchange crossing sites are encrypted and the standby talks only
 * to a server holding a certificate of the platform.
 *
 * PostgreSQL refuses a key file others can read, and the kubelet makes Secret files
 * group-readable under fsGroup: the keeper copies certificate and key into its memory volume,
 * readable by their owner only, and copies them again and reloads PostgreSQL when cert-manager
 * renews them.
 */
import { TLS_FILES, type InternalCa } from '../cert-manager/internal-ca';
import type { PlatformComponent } from '../component';
import { reloadOnChange } from '../lib/tls-reload';
import type { Site } from '../../sites';
import { STOLON_OBJECTS, stolonName } from './names';

/** Where the certificate Secret is mounted in the keepers. */
export const TLS_MOUNT = '/etc/stolon/tls';
/** Where the keeper copies certificate and key for PostgreSQL (the memory volume /stolon-run). */
export const TLS_RUN_DIR = '/stolon-run/tls';
/** The certificate Secret of the keepers. */
export const TLS_SECRET = 'stolon-tls';

/** postgresql.conf parameters serving TLS. */
export const TLS_PARAMETERS = {
  ssl: 'on',
  ssl_cert_file: `${TLS_RUN_DIR}/${TLS_FILES.certificate}`,
  ssl_key_file: `${TLS_RUN_DIR}/${TLS_FILES.key}`,
} as const;

/** libpq options of every connection to the other site: TLS, the server's name checked against the platform CA. */
export const VERIFY_FULL = { sslmode: 'verify-full', sslrootcert: `${TLS_MOUNT}/${TLS_FILES.ca}` } as const;

/** The Services keepers are reached by in the cluster. */
const SERVICE_NAMES = [stolonName('keeper'), STOLON_OBJECTS.readOnly, stolonName('proxy')];

/** Renders the keepers' certificate: the site's exposed database address (what the other sites dial) and the Service names. */
export function keeperCertificate(owner: PlatformComponent, internalCa: InternalCa, site: Site, namespace: string): string {
  const address = site.loadBalancer.fixed.database;
  return internalCa.certificate(owner, {
    name: TLS_SECRET,
    namespace,
    commonName: address,
    ipAddresses: [address],
    dnsNames: SERVICE_NAMES.flatMap((s) => [s, `${s}.${namespace}.svc`, `${s}.${namespace}.svc.cluster.local`]),
    usages: ['server'],
  });
}

/**
 * Keeper script lines: copy certificate and key readable by the owner only (the script runs under umask 077),
 * then watch the mounted files and reload PostgreSQL (data directory `$STKEEPER_DATA_DIR/postgres`)
 * when they change.
 */
export function keeperTlsScript(): string[] {
  const copy = `mkdir -p ${TLS_RUN_DIR} && cp -f ${TLS_MOUNT}/${TLS_FILES.certificate} ${TLS_MOUNT}/${TLS_FILES.key} ${TLS_RUN_DIR}/`;
  const files = [TLS_FILES.certificate, TLS_FILES.key].map((f) => `${TLS_MOUNT}/${f}`);
  return reloadOnChange(files, 'pg_ctl reload -D "$STKEEPER_DATA_DIR/postgres"', copy);
}
