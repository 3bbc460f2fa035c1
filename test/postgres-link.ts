/**
 * The cross-site replication as the PostgreSQL tests run it on loopback: cluster2's primary and
 * cluster1's standby from the rendered specs (parameters, pg_hba, TLS, the standby's rendered
 * primary_conninfo and slot), the standby dialling the primary through a relay standing in for
 * the link between the sites. Addresses, passfile and CA are remapped to the test's.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PG_PORT, REPL_PASSFILE, REPL_USERNAME, clusterSpec, keeperHba, keeperManagedParameters, specJson } from '../charts/postgres/spec';
import { VERIFY_FULL } from '../charts/postgres/tls';
import { SITES } from '../sites';
import { PgCluster, freePort, withTestCertificate } from './pg-server';
import { baseBackup, startAsStandbyKeeper, type RenderedSpec } from './stolon-keeper';

export const primarySite = SITES.find((s) => s.database.role === 'primary')!;
export const standbySite = SITES.find((s) => s.database.role === 'standby')!;
const specOf = (site: (typeof SITES)[number]) => JSON.parse(specJson(clusterSpec(site, SITES))) as RenderedSpec;
export const primarySpec = specOf(primarySite);
export const standbySpec = specOf(standbySite);
/** The standby site's rendered `standbySettings`: primary_conninfo and slot. */
export const standbySettings = standbySpec.standbyConfig!.standbySettings;

/** The two servers of a test and where their files go. */
export class ReplicatedPair {
  primary!: PgCluster;
  /** Every server started, stopped and removed by `destroy` (also those whose start failed). */
  private readonly servers: PgCluster[] = [];

  /**
   * @param dir the test's directory (certificate, CA, passfile)
   * @param replPassword the replication user's password
   * @param parametersOf a keeper's parameters from a spec (the rendered ones, a test may scale some)
   */
  constructor(
    private readonly dir: string,
    private readonly replPassword: string,
    readonly parametersOf: (spec: RenderedSpec) => Record<string, string> = (spec) => ({
      ...spec.pgParameters,
      ...keeperManagedParameters(spec),
    }),
  ) {}

  /** A keeper's parameters with the test CA's certificate for 127.0.0.1. */
  private configOf(spec: RenderedSpec): Record<string, string> {
    return withTestCertificate(this.parametersOf(spec), this.dir);
  }

  /** Starts the primary with the replication user, `table (n int)` and the slot it declares for the standby site. */
  async startPrimary(table: string): Promise<PgCluster> {
    fs.chmodSync(this.dir, 0o755);
    const primary = new PgCluster('su-test-password');
    this.servers.push(primary);
    this.primary = primary;
    const r = primary.start(this.configOf(primarySpec), keeperHba(primarySpec), await freePort());
    if (r.status !== 0) throw new Error(primary.log());
    primary.sql(`CREATE ROLE ${REPL_USERNAME} WITH LOGIN REPLICATION PASSWORD '${this.replPassword}'`);
    primary.sql(`CREATE TABLE ${table} (n int)`);
    // additionalMasterReplicationSlots
    primary.sql(`SELECT pg_create_physical_replication_slot('${standbySettings.primarySlotName}')`);
    return primary;
  }

  /** The rendered primary_conninfo with the address (`port` on 127.0.0.1), passfile and CA remapped to the test's. */
  conninfo(port: number): string {
    const passfile = path.join(this.dir, 'pgpass');
    if (!fs.existsSync(passfile)) {
      fs.writeFileSync(passfile, `*:*:*:${REPL_USERNAME}:${this.replPassword}\n`, { mode: 0o600 });
      const owner = fs.statSync(path.join(this.dir, 'tls'));
      if (process.getuid?.() === 0) fs.chownSync(passfile, owner.uid, owner.gid);
    }
    // Only the primary site's address, the pod's passfile and CA: a conninfo naming another dials nowhere.
    const address = `host=${primarySite.loadBalancer.fixed.database} port=${PG_PORT}`;
    return standbySettings.primaryConnInfo
      .replaceAll(address, `host=127.0.0.1 port=${port}`)
      .replaceAll(REPL_PASSFILE, passfile)
      .replaceAll(VERIFY_FULL.sslrootcert, path.join(this.dir, 'ca', 'test-ca.crt'));
  }

  /** A standby initialised from the primary by base backup, dialling it on `linkPort` (`slot`: to break it on purpose). */
  async startStandby(linkPort: number, slot = standbySettings.primarySlotName): Promise<PgCluster> {
    const pg = new PgCluster('unused', { init: false });
    this.servers.push(pg);
    baseBackup(pg, this.primary, REPL_USERNAME, this.replPassword);
    startAsStandbyKeeper(
      pg,
      { parameters: this.configOf(standbySpec), hba: keeperHba(standbySpec), port: await freePort() },
      { primaryConninfo: this.conninfo(linkPort), primarySlotName: slot },
    );
    return pg;
  }

  /** Stops and removes every server started, the last started first. */
  destroy(): void {
    for (const pg of [...this.servers].reverse()) pg.destroy();
  }
}
