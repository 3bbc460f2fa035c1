import * as fs from 'node:fs';
import * as path from 'node:path';
import { semanticDiff, type RatedObjectChange } from '../pipeline/diff';
import { POSTMASTER_PARAMETERS } from '../pipeline/diff/postgres-parameters';
import { PLATFORM_FILES } from './diff-helpers';
import { PgCluster, freePort } from './pg-server';

// The restart rating of a pgParameters change rests on PostgreSQL's own pg_settings: asked here of
// the real PostgreSQL 15 server, and checked on it (a reload leaves a postmaster parameter pending).
describe('PostgreSQL parameters that need a restart', () => {
  let pg: PgCluster;
  beforeAll(async () => {
    pg = new PgCluster('su-test-password');
    const r = pg.start({}, ['host all all 127.0.0.1/32 scram-sha-256'], await freePort());
    if (r.status !== 0) throw new Error(`postgres did not start: ${r.stderr}${pg.log()}`);
  });
  afterAll(() => pg?.destroy());

  it("are exactly the server's context = postmaster parameters", () => {
    expect(pg.sql('SHOW server_version_num').slice(0, 2)).toBe('15');
    const server = pg.sql(`SELECT string_agg(name, ' ' ORDER BY name) FROM pg_settings WHERE context = 'postmaster'`).split(' ');
    expect([...POSTMASTER_PARAMETERS].sort()).toEqual(server);
  });

  it('stay pending after a reload, while work_mem applies at once', async () => {
    const conf = path.join(pg.data, 'postgresql.auto.conf');
    fs.appendFileSync(conf, "shared_buffers = '64MB'\nwork_mem = '8MB'\n");
    pg.sql('SELECT pg_reload_conf()');
    expect(await pg.waitFor(`SELECT current_setting('work_mem')`, '8MB')).toBe('8MB');
    expect(
      pg.sql(`SELECT name || '=' || pending_restart FROM pg_settings WHERE name IN ('shared_buffers', 'work_mem') ORDER BY name`),
    ).toBe('shared_buffers=true\nwork_mem=false');
  });

  it('rate a restart parameter medium (restart of every keeper) and a reloaded one low', () => {
    const withParameter = (name: string, value: string) => {
      const after = new Map(PLATFORM_FILES);
      for (const [p, content] of PLATFORM_FILES)
        if (p.endsWith('/postgres/configmap-stolon-cluster-spec.yaml'))
          after.set(p, content.replace(new RegExp(`"${name}": "[^"]*"`, 'g'), `"${name}": "${value}"`));
      return semanticDiff(PLATFORM_FILES, after).filter((c): c is RatedObjectChange => c.scope === 'object');
    };
    const restart = withParameter('shared_buffers', '512MB');
    expect(restart.map((c) => [c.site, c.id, c.risk])).toEqual([
      ['cluster1', 'ConfigMap/postgres/stolon-cluster-spec', 'medium'],
      ['cluster2', 'ConfigMap/postgres/stolon-cluster-spec', 'medium'],
    ]);
    expect(restart[0]!.notes).toEqual([
      expect.objectContaining({
        path: 'data.cluster-spec.json pgParameters.shared_buffers',
        reason: expect.stringMatching(
          /^PostgreSQL parameter shared_buffers 256MB -> 512MB needs a server restart: restart of every keeper/,
        ),
      }),
    ]);
    const reload = withParameter('work_mem', '8MB');
    expect(reload.map((c) => c.risk)).toEqual(['low', 'low']);
    expect(reload[0]!.notes[0]!.reason).toBe("PostgreSQL parameter work_mem 4MB -> 8MB: applied by the keepers' reload, no restart");
  });
});
