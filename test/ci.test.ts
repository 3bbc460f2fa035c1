import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { REPORT_MARKER } from '../pipeline/diff';
import { REPO_ROOT } from './helpers';

// The CI templates: valid against the schemas editors use (GitLab's ci.json, SchemaStore's
// github-workflow.json: CI_SCHEMAS of tools/upstream-inputs.ts, compiled by npm run import into
// imports/ci-validators/), their shell checked by shellcheck, and the merge-request note posted
// once then updated, against a recording HTTP server.
interface Job {
  script?: string[];
  rules?: { if?: string }[];
  variables?: Record<string, string>;
  artifacts?: { expose_as?: string; expire_in?: string; paths?: string[]; reports?: { junit?: string } };
  steps?: { run?: string; with?: Record<string, unknown>; uses?: string }[];
}

function shellcheck(script: string, shell: 'sh' | 'bash'): { status: number | null; stdout: string } {
  // SC2086: word splitting of $override/$OVERRIDE is what we want (empty or one flag).
  const r = spawnSync('shellcheck', ['-s', shell, '-e', 'SC2086', '-'], { input: script, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout };
}

const text = (file: string) => fs.readFileSync(path.join(REPO_ROOT, file), 'utf8');
const read = (file: string) => parse(text(file)) as Record<string, unknown>;

function validator(name: 'gitlab-ci' | 'github-workflow') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const validate = require(path.join(REPO_ROOT, 'imports', 'ci-validators', `${name}.js`)) as ValidateFunction;
  return (doc: unknown): ErrorObject[] => (validate(doc) ? [] : (validate.errors ?? []));
}

describe('CI templates', () => {
  const gitlab = read('.gitlab-ci.yml');
  const github = read('.github/workflows/ci.yml');
  const githubJobs = github.jobs as Record<string, Job>;

  it("validate against GitLab's ci.json and SchemaStore's github-workflow.json, which refuse a broken template", () => {
    const gitlabErrors = validator('gitlab-ci');
    expect(gitlabErrors(gitlab)).toEqual([]);
    expect(gitlabErrors({ ...gitlab, check: { ...(gitlab.check as object), interruptible: 'yes' } })).not.toEqual([]);
    expect(gitlabErrors({ ...gitlab, diff: { ...(gitlab.diff as object), artifacts: { expose_as: 1 } } })).not.toEqual([]);
    const githubErrors = validator('github-workflow');
    expect(githubErrors(github)).toEqual([]);
    expect(githubErrors({ ...github, jobs: { check: { steps: [] } } })).not.toEqual([]);
  });

  it('use default: (not the deprecated global image/cache), interruptible jobs, no history for the check job', () => {
    expect(Object.keys(gitlab)).not.toContain('image');
    expect(Object.keys(gitlab)).not.toContain('cache');
    expect(gitlab.default).toEqual(expect.objectContaining({ image: expect.stringMatching(/^node:\d+-bookworm$/), interruptible: true }));
    expect((gitlab.check as Job).script).toEqual(['bash .ci/run']);
    expect((gitlab.check as Job).variables).toEqual({ GIT_DEPTH: '1' });
    expect(githubJobs.check!.steps!.find((s) => s.uses?.startsWith('actions/checkout'))!.with).toBeUndefined();
    const run = text('.ci/run');
    for (const step of ['npm ci', 'npm run lint', 'npm run typecheck', 'npm test', 'npm run synth -- --check', 'npm run validate'])
      expect(run).toContain(step);
  });

  it('run on a supported Node LTS image based on Debian bookworm (apt-get, postgresql-15)', () => {
    const image = /^node:(\d+)-bookworm$/;
    const images = [(gitlab.default as { image: string }).image, (githubJobs.check as Job & { container?: string }).container!];
    for (const i of images) expect(Number(image.exec(i)![1])).toBeGreaterThanOrEqual(22);
    const setupNode = githubJobs.diff!.steps!.find((s) => s.uses?.startsWith('actions/setup-node'))!;
    expect(Number(setupNode.with!['node-version'])).toBeGreaterThanOrEqual(22);
  });

  it('keep the JUnit test report and the diff as artifacts that expire, the diff linked from the merge request', () => {
    expect((gitlab.check as Job).artifacts).toEqual(
      expect.objectContaining({ reports: { junit: 'junit.xml' }, expire_in: expect.any(String) }),
    );
    expect(text('.ci/run')).toMatch(/JEST_JUNIT_OUTPUT_FILE=junit\.xml npm test -- --reporters=default --reporters=jest-junit/);
    expect((gitlab.diff as Job).artifacts).toEqual(
      expect.objectContaining({ expose_as: 'rendered diff', paths: ['diff.md', 'diff-full.md'], expire_in: expect.any(String) }),
    );
  });

  it("diff against GitLab's merge-request base, fail on high risk unless labelled, and say a new pipeline is needed", () => {
    const diff = gitlab.diff as Job;
    const script = diff.script!.join('\n');
    expect(diff.rules).toEqual([{ if: '$CI_PIPELINE_SOURCE == "merge_request_event"' }]);
    expect(script).toContain('base="$CI_MERGE_REQUEST_DIFF_BASE_SHA"');
    expect(script).toMatch(/--output diff\.md --fail-on high \$override/);
    expect(script).toMatch(/\*,risk-accepted,\*\) override="--override"/);
    expect(script).toMatch(/run a new pipeline for the merge request \(labels are read when a pipeline is created/);
    expect(script).toContain('node tools/merge-request-note.mjs diff.md');
    const steps = githubJobs.diff!.steps!.map((s) => s.run ?? '').join('\n');
    expect(steps).toMatch(/--fail-on high \$OVERRIDE/);
    expect(steps).toContain(`select(.body | startswith("${REPORT_MARKER}"))`);
  });

  it('have shell that shellcheck accepts (and shellcheck rejects a broken one)', () => {
    const scripts = [(gitlab.diff as Job).script!.join('\n'), (gitlab.check as Job).script!.join('\n')];
    for (const s of scripts) expect(shellcheck(s, 'sh')).toEqual({ status: 0, stdout: '' });
    for (const job of Object.values(githubJobs))
      for (const step of job.steps!.filter((s) => s.run))
        expect(shellcheck(step.run!.replace(/\$\{\{[^}]*\}\}/g, 'x'), 'bash')).toEqual({ status: 0, stdout: '' });
    for (const script of ['.ci/run', '.ci/install-kubectl']) expect(shellcheck(text(script), 'bash').status).toBe(0);
    const broken = shellcheck(`${scripts[0]}\nif [ "$status" = 0 ]; then echo ok`, 'sh');
    expect(broken.status).not.toBe(0);
    expect(broken.stdout).toMatch(/error/);
  });
});

describe('the merge-request note', () => {
  interface Note {
    id: number;
    body: string;
    author: { id: number };
  }
  const BOT = 42;

  /** A recording stand-in for GitLab's notes API on loopback: list (paged), create, update. */
  async function notesServer(existing: Note[]) {
    const notes = [...existing];
    const requests: string[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const url = new URL(req.url!, 'http://x');
        requests.push(
          `${req.method} ${url.pathname}${req.method === 'GET' ? `?page=${url.searchParams.get('page')}` : ''} ${req.headers['private-token']}`,
        );
        const id = /\/notes\/(\d+)$/.exec(url.pathname)?.[1];
        res.setHeader('Content-Type', 'application/json');
        if (url.pathname.endsWith('/user')) {
          res.end(JSON.stringify({ id: BOT }));
          return;
        }
        if (req.method === 'GET') {
          const page = Number(url.searchParams.get('page'));
          const size = Number(url.searchParams.get('per_page'));
          res.end(JSON.stringify(notes.slice((page - 1) * size, page * size)));
          return;
        }
        if (req.method === 'POST') {
          const note = { id: 1000 + notes.length, body: (JSON.parse(body) as Note).body, author: { id: BOT } };
          notes.push(note);
          res.end(JSON.stringify(note));
          return;
        }
        const note = notes.find((n) => n.id === Number(id))!;
        note.body = (JSON.parse(body) as Note).body;
        res.end(JSON.stringify(note));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v4`;
    return { url, notes, requests, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
  }

  const post = (apiUrl: string, file: string) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [path.join(REPO_ROOT, 'tools/merge-request-note.mjs'), file],
        {
          env: {
            ...process.env,
            CI_API_V4_URL: apiUrl,
            CI_PROJECT_ID: 'platform/platform',
            CI_MERGE_REQUEST_IID: '7',
            PLATFORM_DIFF_TOKEN: 'secret',
          },
          timeout: 20_000,
          encoding: 'utf8',
        },
        (err, stdout, stderr) => resolve({ status: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
      );
    });

  it('is posted once, then updated in place on later pipelines, past the first page of notes', async () => {
    // 120 notes of people, one of them quoting an old report (not the bot's: left alone).
    const others = Array.from({ length: 120 }, (_, i) => ({
      id: i + 1,
      body: i === 3 ? `${REPORT_MARKER}\nquoted` : `review comment ${i}`,
      author: { id: 7 },
    }));
    const api = await notesServer(others);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'note-'));
    try {
      const file = path.join(dir, 'diff.md');
      fs.writeFileSync(file, `${REPORT_MARKER}\n### Rendered diff of \`feature @ aaaa\`\n`);
      expect(await post(api.url, file)).toEqual(expect.objectContaining({ status: 0, stdout: 'merge-request-note: posted note 1120\n' }));
      fs.writeFileSync(file, `${REPORT_MARKER}\n### Rendered diff of \`feature @ bbbb\`\n`);
      expect(await post(api.url, file)).toEqual(expect.objectContaining({ status: 0, stdout: 'merge-request-note: updated note 1120\n' }));
      expect(api.notes.filter((n) => n.author.id === BOT)).toEqual([
        { id: 1120, body: expect.stringContaining('feature @ bbbb'), author: { id: BOT } },
      ]);
      expect(api.notes[3]!.body).toBe(`${REPORT_MARKER}\nquoted`);
      const notes = '/api/v4/projects/platform%2Fplatform/merge_requests/7/notes';
      expect(api.requests).toEqual([
        'GET /api/v4/user?page=null secret',
        `GET ${notes}?page=1 secret`,
        `GET ${notes}?page=2 secret`,
        `POST ${notes} secret`,
        'GET /api/v4/user?page=null secret',
        `GET ${notes}?page=1 secret`,
        `GET ${notes}?page=2 secret`,
        `PUT ${notes}/1120 secret`,
      ]);
      // A file that is not a rendered diff is refused before anything is sent.
      fs.writeFileSync(file, 'npm banner\n');
      expect((await post(api.url, file)).status).toBe(2);
      expect(api.requests).toHaveLength(8);
    } finally {
      await api.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
