import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { STOLON_IMAGE } from '../charts/postgres/image';
import { clusterSpec, specJson } from '../charts/postgres/spec';
import { UPDATE_SCRIPT, updateJobManifest, type UpdateJobProps } from '../charts/postgres/update-job';
import { renderSite } from '../pipeline/render';
import { PLATFORM } from '../sites';
import { SITES } from '../sites';
import { tempDir, withChange } from './helpers';

/**
 * Runs the update Job's script with the real bash and jq, against a stand-in `stolonctl` that
 * prints a given current spec and records the spec it is asked to apply.
 */
function runUpdate(gitSpec: string, current: object): { status: number | null; applied?: Record<string, unknown>; stderr: string } {
  const t = tempDir('stolon-update-');
  try {
    const bin = path.join(t.dir, 'bin');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(t.dir, 'current.json'), JSON.stringify(current));
    fs.writeFileSync(
      path.join(bin, 'stolonctl'),
      [
        '#!/bin/bash',
        'case "$1" in',
        `  spec) cat "${t.dir}/current.json" ;;`,
        `  update) [ "$2" = -f ] && cp "$3" "${t.dir}/applied.json" ;;`,
        '  *) exit 2 ;;',
        'esac',
      ].join('\n'),
      { mode: 0o755 },
    );
    fs.writeFileSync(path.join(t.dir, 'spec.json'), gitSpec);
    const r = spawnSync('bash', ['-c', UPDATE_SCRIPT], {
      encoding: 'utf8',
      env: { PATH: `${bin}:${process.env.PATH}`, SPEC_FILE: path.join(t.dir, 'spec.json'), TMPDIR: t.dir },
      timeout: 30_000,
    });
    const appliedFile = path.join(t.dir, 'applied.json');
    const applied = fs.existsSync(appliedFile) ? (JSON.parse(fs.readFileSync(appliedFile, 'utf8')) as Record<string, unknown>) : undefined;
    return { status: r.status, applied, stderr: r.stderr };
  } finally {
    t.cleanup();
  }
}

const cluster1 = SITES.find((s) => s.name === 'cluster1')!;
const cluster2 = SITES.find((s) => s.name === 'cluster2')!;

describe('the stolon update Job script', () => {
  it('applies the spec from git as is on a site initialised the way git says', () => {
    const spec = JSON.parse(specJson(clusterSpec(cluster1, SITES))) as Record<string, unknown>;
    const r = runUpdate(specJson(clusterSpec(cluster1, SITES)), spec);
    expect(r.status).toBe(0);
    expect(r.applied).toEqual(spec);
  });

  it('promotes a standby site after the one-line change in sites/, keeping how it was initialised', () => {
    // The promotion of cluster1: its running spec is the standby one, git now says primary.
    const running = JSON.parse(specJson(clusterSpec(cluster1, SITES))) as Record<string, unknown>;
    const flipped = [
      withChange(cluster1, (s) => (s.database = { role: 'primary' })),
      withChange(cluster2, (s) => (s.database = { role: 'standby' })),
    ];
    const promoted = specJson(clusterSpec(flipped[0]!, flipped));
    const r = runUpdate(promoted, running);
    expect(r.status).toBe(0);
    expect(r.applied).toMatchObject({ role: 'master', initMode: 'pitr', pitrConfig: running.pitrConfig });
    expect(r.applied).not.toHaveProperty('standbyConfig');
    // Everything but how the site was initialised comes from git.
    const without = (o: Record<string, unknown>): Record<string, unknown> =>
      Object.fromEntries(Object.entries(o).filter(([k]) => k !== 'initMode' && k !== 'pitrConfig'));
    expect(without(r.applied!)).toEqual(without(JSON.parse(promoted) as Record<string, unknown>));
  });

  it('keeps a primary initialised with `new` on `new` (never invents a pitrConfig)', () => {
    const running = JSON.parse(specJson(clusterSpec(cluster2, SITES))) as Record<string, unknown>;
    const changed = { ...running, pgParameters: { ...(running.pgParameters as object), work_mem: '8MB' } };
    const r = runUpdate(JSON.stringify(changed), running);
    expect(r.status).toBe(0);
    expect(r.applied).toEqual(changed);
  });

  it('fails, applying nothing, when the spec file is not valid JSON', () => {
    const r = runUpdate('{"role":', JSON.parse(specJson(clusterSpec(cluster2, SITES))) as object);
    expect(r.status).not.toBe(0);
    expect(r.applied).toBeUndefined();
  });
});

describe('the update Job’s name', () => {
  const base: UpdateJobProps = {
    namespace: 'postgres',
    image: STOLON_IMAGE,
    specJson: specJson(clusterSpec(cluster2, SITES)),
    specConfigMap: 'stolon-cluster-spec',
    podBase: { serviceAccountName: 'stolon', automountServiceAccountToken: true },
  };
  const nameOf = (change: Partial<UpdateJobProps>) => updateJobManifest('postgres', { ...base, ...change }).name;

  it('is the one rendered into gitops/, and stays the same when nothing it runs changes', () => {
    for (const site of SITES) {
      const jobs = renderSite(site, PLATFORM)
        .components.find((c) => c.name === 'postgres')!
        .objects.filter((o) => o.kind === 'Job');
      expect(jobs.map((j) => j.metadata.name)).toEqual([expect.stringMatching(/^stolon-update-[0-9a-f]{10}$/)]);
    }
    expect(nameOf({})).toBe(nameOf({}));
  });

  // A completed Job keeps its immutable template: the same name with anything else changed would
  // fail every sync until someone deletes the Job by hand.
  it.each<[string, Partial<UpdateJobProps>]>([
    ['a new image', { image: STOLON_IMAGE.replace(/pg[\d.]+$/, 'pg15.99') }],
    ['a new script', { script: `${UPDATE_SCRIPT}\necho done` }],
    ['new resources', { resources: { cpuMillis: 100, memoryMiB: 64 } }],
    ['a new cluster spec', { specJson: specJson({ ...clusterSpec(cluster2, SITES), failInterval: '30s' }) }],
  ])('changes with %s', (_what, change) => {
    expect(nameOf(change)).not.toBe(nameOf({}));
  });
});
