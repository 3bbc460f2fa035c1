import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from './helpers';

// The CI templates: their shell is checked by shellcheck (Debian), their structure by reading them.
interface Job {
  script?: string[];
  rules?: { if?: string }[];
  steps?: { run?: string; with?: Record<string, unknown>; uses?: string }[];
}

function shellcheck(script: string, shell: 'sh' | 'bash'): { status: number | null; stdout: string } {
  // SC2086: word splitting of $override/$OVERRIDE is what we want (empty or one flag).
  const r = spawnSync('shellcheck', ['-s', shell, '-e', 'SC2086', '-'], { input: script, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout };
}

const read = (file: string) => parse(fs.readFileSync(path.join(REPO_ROOT, file), 'utf8')) as Record<string, unknown>;

describe('CI templates', () => {
  const gitlab = read('.gitlab-ci.yml');
  const github = read('.github/workflows/ci.yml');
  const githubJobs = github.jobs as Record<string, Job>;

  it('run .ci/run, which runs validation, and fetch full history', () => {
    expect((gitlab.check as Job).script).toEqual(['bash .ci/run']);
    expect((gitlab.variables as Record<string, string>).GIT_DEPTH).toBe('0');
    expect(githubJobs.check!.steps!.some((s) => s.run === 'bash .ci/run')).toBe(true);
    for (const job of Object.values(githubJobs))
      expect(job.steps!.find((s) => s.uses?.startsWith('actions/checkout'))!.with!['fetch-depth']).toBe(0);
    const run = fs.readFileSync(path.join(REPO_ROOT, '.ci/run'), 'utf8');
    for (const step of ['npm ci', 'npm run lint', 'npm run typecheck', 'npm test', 'npm run synth -- --check', 'npm run validate'])
      expect(run).toContain(step);
  });

  it('run on a supported Node LTS image based on Debian bookworm (apt-get, postgresql-15)', () => {
    const image = /^node:(\d+)-bookworm$/;
    const images = [gitlab.image as string, (githubJobs.check as Job & { container?: string }).container!];
    for (const i of images) expect(i).toMatch(image);
    // Node 20 reached end of life in April 2026; 22 and 24 are the LTS lines in support.
    for (const i of images) expect(Number(image.exec(i)![1])).toBeGreaterThanOrEqual(22);
    const setupNode = githubJobs.diff!.steps!.find((s) => s.uses?.startsWith('actions/setup-node'))!;
    expect(Number(setupNode.with!['node-version'])).toBeGreaterThanOrEqual(22);
  });

  it('post the diff on merge requests only, failing on high risk unless the risk-accepted label is set', () => {
    const diff = gitlab.diff as Job;
    expect(diff.rules).toEqual([{ if: '$CI_PIPELINE_SOURCE == "merge_request_event"' }]);
    expect(diff.script!.join('\n')).toMatch(/--fail-on high \$override/);
    expect(diff.script!.join('\n')).toMatch(/\*,risk-accepted,\*\) override="--override"/);
    const steps = githubJobs.diff!.steps!.map((s) => s.run ?? '').join('\n');
    expect(steps).toMatch(/--fail-on high \$OVERRIDE/);
    expect(steps).toMatch(/gh pr comment/);
  });

  it('have shell that shellcheck accepts (and shellcheck rejects a broken one)', () => {
    const gitlabScript = (gitlab.diff as Job).script!.join('\n');
    expect(shellcheck(gitlabScript, 'sh')).toEqual({ status: 0, stdout: '' });
    for (const job of Object.values(githubJobs)) {
      for (const step of job.steps!.filter((s) => s.run)) {
        expect(shellcheck(step.run!.replace(/\$\{\{[^}]*\}\}/g, 'x'), 'bash')).toEqual({ status: 0, stdout: '' });
      }
    }
    for (const script of ['.ci/run', '.ci/install-kubectl']) {
      expect(shellcheck(fs.readFileSync(path.join(REPO_ROOT, script), 'utf8'), 'bash').status).toBe(0);
    }
    const broken = shellcheck(`${gitlabScript}\nif [ "$status" = 0 ]; then echo ok`, 'sh');
    expect(broken.status).not.toBe(0);
    expect(broken.stdout).toMatch(/error/);
  });
});
