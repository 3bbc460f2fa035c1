/**
 * A `synth --check` takes no lock: when it finds gitops/ moved aside by a writer between its two
 * renames, it waits for that writer's swap while the writer runs, rather than reporting every file
 * missing; a dead writer's swap is left to the next writing run.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gitopsPaths, listTree } from '../pipeline/writer';
import { NEXT, OWNER, READY, STAGING_DIR } from '../pipeline/writer-staging';
import { renderedGitops, tempDir } from './helpers';

/** A root whose writer is between its renames: gitops/ gone, the new tree ready in staging. */
function betweenRenames(): { root: string; next: string; gitops: string; cleanup: () => void } {
  const { dir: root, cleanup } = tempDir();
  const staging = path.join(root, STAGING_DIR);
  fs.mkdirSync(staging);
  fs.cpSync(renderedGitops(), path.join(staging, NEXT), { recursive: true });
  fs.writeFileSync(path.join(staging, READY), '');
  return { root, next: path.join(staging, NEXT), gitops: path.join(root, 'gitops'), cleanup };
}

it('waits for a live writer that pauses between its two renames longer than a second', async () => {
  const { root, next, gitops, cleanup } = betweenRenames();
  const rendered = listTree(renderedGitops());
  // The writer holds the lock and makes its second rename 1.2 s later (a process paused or starved).
  const writer = spawn('sh', ['-c', 'sleep 1.2; mv "$0" "$1"', next, gitops], { stdio: 'ignore' });
  const exited = new Promise((resolve) => writer.once('exit', resolve));
  try {
    fs.writeFileSync(path.join(root, STAGING_DIR, OWNER), `${writer.pid}\n`);
    expect(gitopsPaths(root)).toEqual(rendered);
  } finally {
    writer.kill('SIGKILL');
    await exited;
    cleanup();
  }
});

it('reads what is there when the writer between its renames is dead (its swap is the next writer’s to finish)', () => {
  const { root, cleanup } = betweenRenames();
  try {
    // A pid no process has: above the kernel's pid_max.
    fs.writeFileSync(path.join(root, STAGING_DIR, OWNER), `${2 ** 22 + 1}\n`);
    expect(gitopsPaths(root).size).toBe(0);
    expect(fs.existsSync(path.join(root, STAGING_DIR, NEXT))).toBe(true);
  } finally {
    cleanup();
  }
});
