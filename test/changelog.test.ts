import * as fs from 'node:fs';
import * as path from 'node:path';
import { STOLON_COMMIT, POSTGRES_MINOR } from '../charts/postgres/image';
import { NATS_IMAGE } from '../charts/bus/constants';
import { MINIO_IMAGE } from '../charts/object-store/minio';
import { REPO_ROOT } from './helpers';

// CHANGELOG.md lists the pins of the release; a pin changed in code without a line there fails.
describe('CHANGELOG', () => {
  const changelog = fs.readFileSync(path.join(REPO_ROOT, 'CHANGELOG.md'), 'utf8');
  const pins = changelog.slice(changelog.indexOf('### Pins'));

  it('names every upstream version pinned in charts/<piece>/release.ts and the images we pin', () => {
    const dir = path.join(REPO_ROOT, 'charts');
    const versions = fs
      .readdirSync(dir)
      .filter((piece) => fs.existsSync(path.join(dir, piece, 'release.ts')))
      .flatMap((piece) => {
        const source = fs.readFileSync(path.join(dir, piece, 'release.ts'), 'utf8');
        const constants = Object.fromEntries([...source.matchAll(/^const (\w+) = '([^']+)';/gm)].map((m) => [m[1]!, m[2]!]));
        const refs = [...source.matchAll(/release: \{ repo: '[^']+', ref: (?:'([^']+)'|`v\$\{(\w+)\}`|(\w+)) \}/g)].map(
          (m) => m[1] ?? (m[2] ? `v${constants[m[2]]}` : constants[m[3]!]!),
        );
        const charts = [...source.matchAll(/^ {4}version: (?:'([^']+)'|(\w+)),/gm)].map((m) => m[1] ?? constants[m[2]!]!);
        expect(refs).toHaveLength(1);
        return [...refs, ...charts].map((v) => [piece, v] as const);
      });
    expect(versions.length).toBeGreaterThanOrEqual(15);
    for (const [piece, version] of versions) expect([piece, pins.includes(version)]).toEqual([piece, true]);
    for (const pin of [STOLON_COMMIT, POSTGRES_MINOR, NATS_IMAGE, MINIO_IMAGE.split(':')[1]!])
      expect([pin, pins.includes(pin)]).toEqual([pin, true]);
  });

  it('keeps a section per release, newest first, the version in package.json among them', () => {
    const version = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    const sections = [...changelog.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
    expect(sections[0]).toBe('Unreleased');
    expect(sections).toContain(version);
  });
});
