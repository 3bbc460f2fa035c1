import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setupScript } from '../charts/object-store/bucket-setup';
import { PlatformError } from '../model/errors';
import { validateSites } from '../pipeline/validate-sites';
import { SITES } from '../sites';
import { cluster1 } from '../sites/cluster1';
import { cluster2 } from '../sites/cluster2';
import { objectStores } from '../sites/object-stores';
import { tempDir, withChange } from './helpers';
import { renderStore, siteWithStore } from './store-fixtures';

function errorsOf(sites: Parameters<typeof validateSites>[0]): string {
  try {
    validateSites(sites);
  } catch (err) {
    if (err instanceof PlatformError) return err.message;
    throw err;
  }
  return '';
}

describe('object store site fields', () => {
  it('accepts each kind on each site (switching is one line)', () => {
    for (const kind of ['minio', 's3', 'aws'] as const) {
      expect(errorsOf([siteWithStore('cluster1', objectStores[kind]('cluster1')), cluster2])).toBe('');
    }
  });

  it.each<[string, (s: Record<string, unknown>) => void, RegExp]>([
    ['an unknown kind', (s) => (s.objectStore = { kind: 'gcs' }), /field objectStore\.kind: expected 'minio', 's3' or 'aws', got "gcs"/],
    [
      'a MinIO volume larger than a pool',
      (s) => (s.objectStore = objectStores.minio('cluster1', 50)),
      /field objectStore\.volumeGiB: 50 GiB does not fit the smallest Mayastor pool \(20 GiB\)/,
    ],
    [
      'an S3 endpoint with a path',
      (s) => (s.objectStore = { ...objectStores.s3('cluster1'), endpoint: 'https://x.example/bucket' }),
      /field objectStore\.endpoint: expected an http\(s\) URL without a path/,
    ],
    [
      'an S3 store without addresses',
      (s) => (s.objectStore = { ...objectStores.s3('cluster1'), cidrs: [] }),
      /field objectStore\.cidrs: expected the IPv4 CIDRs/,
    ],
    [
      'a bad bucket prefix',
      (s) => (s.objectStore = { ...objectStores.s3('cluster1'), bucketPrefix: 'Cluster_1' }),
      /field objectStore\.bucketPrefix: expected a bucket-name prefix/,
    ],
    [
      'a bad AWS region',
      (s) => (s.objectStore = { ...objectStores.aws('cluster1'), region: 'paris' }),
      /field objectStore\.region: expected an AWS region/,
    ],
    [
      'a bad stack name',
      (s) => (s.objectStore = { ...objectStores.aws('cluster1'), stackName: '1-stack' }),
      /field objectStore\.stackName: expected a CloudFormation stack name/,
    ],
    [
      'the latest tag',
      (s) => ((s.resizer as { image: Record<string, unknown> }).image.tag = 'latest'),
      /field resizer\.image\.tag: expected a release tag \(not 'latest'\)/,
    ],
    [
      'an invented digest',
      (s) => ((s.resizer as { image: Record<string, unknown> }).image.digests = { 'resizer-api': 'sha256:abc' }),
      /field resizer\.image\.digests\.resizer-api: expected sha256:<64 hex digits>/,
    ],
    [
      'one API replica',
      (s) => ((s.resizer as Record<string, unknown>).api = { min: 1, max: 3 }),
      /field resizer\.api\.min: expected a whole number >= 2/,
    ],
    [
      'max below min',
      (s) => ((s.resizer as Record<string, unknown>).workers = { min: 3, max: 2 }),
      /field resizer\.workers\.max: expected a whole number >= min/,
    ],
  ])('rejects %s, naming the site file and field', (_what, change, expected) => {
    expect(errorsOf([withChange(cluster1, change), cluster2])).toMatch(
      new RegExp(`site cluster1 \\(sites/cluster1.ts\\), ${expected.source}`),
    );
  });
});

describe('bucket setup', () => {
  const scriptOf = (kind: 'minio' | 's3'): Record<string, string> => {
    const site = siteWithStore('cluster1', objectStores[kind]('cluster1'));
    const { objects } = renderStore(site, [['images'], ['backups', 14]]);
    const config = objects('object-store').find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'object-store-buckets')!;
    return config.data as Record<string, string>;
  };

  it.each(['minio', 's3'] as const)('renders a %s script that shellcheck accepts and that runs against a recording mc', (kind) => {
    const files = scriptOf(kind);
    const { dir, cleanup } = tempDir();
    try {
      // The ConfigMap's files, as the Job mounts them at /config (here: the temp dir).
      for (const [name, content] of Object.entries(files))
        fs.writeFileSync(path.join(dir, name), content.replaceAll('/config/', `${dir}/`));
      const file = path.join(dir, 'setup.sh');
      execFileSync('shellcheck', ['-s', 'sh', file]);
      // A stand-in mc on PATH records its arguments; the script must run to the end under set -eu.
      const log = path.join(dir, 'calls');
      fs.writeFileSync(path.join(dir, 'mc'), `#!/bin/sh\necho "$*" >> ${log}\n`, { mode: 0o755 });
      const env = { PATH: `${dir}:/usr/bin:/bin`, S3_ENDPOINT: 'http://127.0.0.1:9', ROOT_USER: 'r', ROOT_PASSWORD: 'p' } as Record<
        string,
        string
      >;
      for (const p of ['IMAGES', 'BACKUPS']) Object.assign(env, { [`${p}_ACCESS_KEY_ID`]: `${p}-key`, [`${p}_SECRET_ACCESS_KEY`]: 's' });
      const run = spawnSync('sh', [file], { env, encoding: 'utf8', cwd: dir });
      expect(run.status).toBe(0);
      const calls = fs.readFileSync(log, 'utf8');
      const bucket = kind === 'minio' ? 'store/images' : 'images/cluster1-images';
      expect(calls).toContain(`mb --ignore-existing ${bucket}`);
      expect(calls).toMatch(/ilm import \S+backups/);
      if (kind === 'minio') expect(calls).toContain('admin user add store IMAGES-key s');
      if (kind === 'minio') expect(JSON.parse(files['images-policy.json']!).Statement[1].Resource).toEqual(['arn:aws:s3:::images/*']);
    } finally {
      cleanup();
    }
  });

  it('is rejected by shellcheck when a variable is left unquoted (the check can fail)', () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = path.join(dir, 'bad.sh');
      fs.writeFileSync(
        file,
        setupScript({ mode: 's3', endpointUrl: 'x', purposeSecret: (p) => ({ secretName: p, rotatedIn: 'vault' }) }, []).replace(
          'set -eu',
          'set -eu\nmc mb $S3_ENDPOINT',
        ),
      );
      expect(spawnSync('shellcheck', ['-s', 'sh', file]).status).not.toBe(0);
    } finally {
      cleanup();
    }
  });
});

describe('object store grants', () => {
  it('minio: credentials from Vault in the client namespace, a flow to MinIO, a sync dependency', () => {
    const site = siteWithStore('cluster2', objectStores.minio('cluster2'));
    const { objects, client, store } = renderStore(site, [['images']]);
    const secret = objects('client').find((o) => o.kind === 'ExternalSecret')!;
    expect(secret.metadata).toMatchObject({ name: 'client-images-s3', namespace: 'client' });
    expect(JSON.stringify(secret)).toContain('object-store/cluster2/images');
    expect(client.dependencies).toContain(store);
    expect(client.declarations.flows.map((f) => f.to.serviceName)).toEqual(['object-store-minio']);
    expect(client.access[0]).toMatchObject({
      endpointUrl: 'http://object-store-minio.object-store.svc:9000',
      bucket: 'images',
      pathStyle: true,
    });
    const pvc = objects('object-store').find((o) => o.kind === 'PersistentVolumeClaim')!;
    expect(pvc.spec).toMatchObject({ storageClassName: 'mayastor', accessModes: ['ReadWriteOnce'] });
  });

  it('s3: egress only to the endpoint addresses and port', () => {
    const site = siteWithStore('cluster1', objectStores.s3('cluster1'));
    const { client } = renderStore(site, [['images']]);
    expect(client.declarations.externalFlows).toEqual([
      expect.objectContaining({ direction: 'egress', cidrs: ['192.0.2.20/32'], ports: [{ port: 9000 }] }),
    ]);
    expect(client.access[0]!.bucket).toBe('cluster1-images');
  });

  it('the committed sites render their stores', () => {
    expect(SITES.map((s) => s.objectStore.kind)).toEqual(['s3', 'minio']);
  });
});
