/** The blobs of a rendered tree at a commit, written by git into a temporary file in the background (git-tree.ts reads them). */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PlatformError } from '../../model/errors';

/** How long a read waits between looks at a file of blobs that git is still writing. */
const POLL_MS = 1;
/** How long git may write nothing before the read gives up (it writes a 2 MB base in well under a second). */
const STALL_MS = 60_000;
const pause = new Int32Array(new SharedArrayBuffer(4));

/** A temporary file, removed at once and kept open (`w+`): gone with the process, whatever happens. */
function anonymousFile(): number {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'diff-base-'));
  const fd = fs.openSync(path.join(dir, 'f'), 'w+');
  fs.rmSync(dir, { recursive: true });
  return fd;
}

/**
 * Every blob of `sizes` (by id) written by one `git cat-file --batch --buffer` into a temporary
 * file, `<sha> blob <size>\n<content>\n` each, in the background: the offsets follow from the
 * sizes the listing gave, so a blob can be read as soon as the file has grown past it. The
 * command's stdin, stderr and exit status are files too, so that nothing waits on node's event
 * loop (the diff is synchronous); a shell writes git's exit status when it is done.
 */
export class BlobFile {
  readonly fd: number;
  private readonly at = new Map<string, number>();
  private readonly size: number;
  private readonly status: number;
  private readonly stderr: number;
  private readonly git: ChildProcess;
  /** How far the file is known to be written. */
  private written = 0;
  private open = true;

  constructor(
    private readonly root: string,
    sizes: ReadonlyMap<string, number>,
  ) {
    let offset = 0;
    for (const [sha, size] of sizes) {
      offset += `${sha} blob ${size}\n`.length;
      this.at.set(sha, offset);
      offset += size + 1;
    }
    this.size = offset;
    const input = anonymousFile();
    // Written at an offset (pwrite): the file's own offset stays at 0, where git reads from.
    fs.writeSync(input, [...sizes.keys()].map((sha) => `${sha}\n`).join(''), 0);
    this.fd = anonymousFile();
    this.stderr = anonymousFile();
    this.status = anonymousFile();
    // The shell and git in a process group of their own, which close() stops as one (the shell
    // writes git's exit status; git's stdin is fd 4, as a background command's own is /dev/null).
    this.git = spawn('sh', ['-c', 'git cat-file --batch --buffer <&4 4<&- 3>&- & wait $!; echo $? >&3'], {
      cwd: root,
      // The environment as it is now (jest gives each test file a copy of its own).
      env: process.env,
      detached: true,
      stdio: ['ignore', this.fd, this.stderr, this.status, input],
    });
    fs.closeSync(input);
    if (this.git.pid === undefined) {
      for (const fd of [this.fd, this.stderr, this.status]) fs.closeSync(fd);
      throw new PlatformError([{ message: 'git cat-file --batch could not be started (no sh)' }]);
    }
    this.git.on('error', () => undefined);
    this.git.unref();
    // A run that ends without close() (an error on the way out) still stops git.
    process.once('exit', this.stop);
  }

  /** The offset of the `size` bytes of blob `sha`, once git has written them all (or a clear error if it will not). */
  waitFor(sha: string, size: number): number {
    const at = this.at.get(sha)!;
    const end = at + size;
    let progress = performance.now();
    while (this.written < this.size && this.written < end) {
      const done = fs.fstatSync(this.status).size > 0;
      const written = fs.fstatSync(this.fd).size;
      if (written > this.written) progress = performance.now();
      this.written = written;
      if (this.written >= end) break;
      if (done) this.fail();
      if (performance.now() - progress > STALL_MS) this.fail(`wrote nothing for ${STALL_MS / 1000} s`);
      Atomics.wait(pause, 0, 0, POLL_MS);
    }
    return at;
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    process.removeListener('exit', this.stop);
    if (fs.fstatSync(this.status).size === 0) this.stop();
    for (const fd of [this.fd, this.stderr, this.status]) fs.closeSync(fd);
  }

  /** Stops the shell and git together (their process group), if they still run. */
  private readonly stop = (): void => {
    try {
      process.kill(-this.git.pid!, 'SIGTERM');
    } catch {
      // already gone
    }
  };

  private fail(stalled?: string): never {
    const read = (fd: number) => {
      const bytes = Buffer.alloc(fs.fstatSync(fd).size);
      fs.readSync(fd, bytes, 0, bytes.length, 0);
      return bytes.toString('utf8').trim();
    };
    const [status, stderr] = [read(this.status), read(this.stderr)];
    throw new PlatformError([
      {
        message:
          stalled !== undefined
            ? `git cat-file --batch ${stalled} in ${this.root} (${fs.fstatSync(this.fd).size} of ${this.size} bytes)`
            : status === '0'
              ? `git cat-file --batch wrote an unexpected size in ${this.root} (${fs.fstatSync(this.fd).size} bytes, ${this.size} expected)`
              : `git cat-file --batch failed (exit ${status}): ${stderr}`,
      },
    ]);
  }
}
