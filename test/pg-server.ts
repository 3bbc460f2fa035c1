/**
 * A throwaway PostgreSQL of the platform's major version on 127.0.0.1, for tests that must prove
 * the real server accepts what we render. PostgreSQL refuses to run as root: when the tests run as
 * root (CI), the server runs as the `postgres` user of the Debian package.
 */
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { POSTGRES_MAJOR } from '../charts/postgres/spec';
import { tempDir } from './helpers';

export const PG_BIN = `/usr/lib/postgresql/${POSTGRES_MAJOR}/bin`;

function asPostgres(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  const asRoot = process.getuid?.() === 0;
  const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
  return spawnSync(file, argv, { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C', ...env }, timeout: 60_000 });
}

/** A free TCP port on the loopback interface. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** An initialised data directory; `start` runs a server on it with the given configuration. */
export class PgCluster {
  readonly dir: string;
  readonly data: string;
  private readonly cleanupDir: () => void;
  private running = false;
  port = 0;

  constructor(superuserPassword: string) {
    const t = tempDir('pg-test-');
    this.dir = t.dir;
    this.cleanupDir = t.cleanup;
    this.data = path.join(this.dir, 'data');
    if (process.getuid?.() === 0) {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
      fs.chownSync(this.dir, uid, gid);
    }
    const pwfile = path.join(this.dir, 'pw');
    fs.writeFileSync(pwfile, superuserPassword, { mode: 0o644 });
    const r = asPostgres(`${PG_BIN}/initdb`, [
      '-D',
      this.data,
      '-U',
      'postgres',
      `--pwfile=${pwfile}`,
      '--auth=scram-sha-256',
      '--no-sync',
      '--encoding=UTF8',
      '--locale=C',
    ]);
    if (r.status !== 0) throw new Error(`initdb failed: ${r.stderr}`);
  }

  /** Writes postgresql.conf (our parameters) and pg_hba.conf, then starts; returns pg_ctl's result. */
  start(parameters: Record<string, string>, hba: readonly string[], port: number): SpawnSyncReturns<string> {
    this.port = port;
    const conf = [
      `listen_addresses = '127.0.0.1'`,
      `port = ${port}`,
      `unix_socket_directories = '${this.dir}'`,
      ...Object.entries(parameters).map(([k, v]) => `${k} = '${v.replace(/'/g, "''")}'`),
      '',
    ].join('\n');
    fs.writeFileSync(path.join(this.data, 'postgresql.conf'), conf);
    fs.writeFileSync(path.join(this.data, 'pg_hba.conf'), `${hba.join('\n')}\n`);
    const r = asPostgres(`${PG_BIN}/pg_ctl`, ['-D', this.data, '-l', path.join(this.dir, 'server.log'), '-w', '-t', '30', 'start']);
    this.running = r.status === 0;
    return r;
  }

  /** The server log (why a start failed). */
  log(): string {
    const file = path.join(this.dir, 'server.log');
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  }

  /** Runs SQL over TCP as `user` and returns the unaligned output. */
  sql(query: string, user = 'postgres', password = 'su-test-password'): string {
    const r = spawnSync(`${PG_BIN}/psql`, ['-h', '127.0.0.1', '-p', String(this.port), '-U', user, '-d', 'postgres', '-XAtc', query], {
      encoding: 'utf8',
      env: { ...process.env, PGPASSWORD: password },
      timeout: 30_000,
    });
    if (r.status !== 0) throw new Error(`psql failed: ${r.stderr}`);
    return r.stdout.trim();
  }

  stop(): void {
    if (this.running) asPostgres(`${PG_BIN}/pg_ctl`, ['-D', this.data, '-m', 'immediate', '-w', 'stop']);
    this.running = false;
  }

  /** Stops the server if running and removes every file. */
  destroy(): void {
    this.stop();
    this.cleanupDir();
  }
}
