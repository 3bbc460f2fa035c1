/**
 * Writes the staged files, on a worker thread once there are many: creating a file costs the
 * kernel more than rendering its object does (an inode, a directory entry, the journal), and on a
 * thread of its own that cost overlaps the render of the next site instead of adding to it. The
 * first files are written in the calling thread, so a synth of a few sites starts no thread. The
 * caller stays synchronous: it blocks on a shared counter (Atomics.wait) only when too many
 * batches are in flight (memory stays bounded) and when it finishes; an error of the thread is
 * thrown in the caller, at the next file or at the finish.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';

/** Files written in the calling thread before the thread is started: a synth of the committed sites (about 400) starts none. */
export const SYNC_FILES = 1000;
/** Files per message to the thread, and at most this many messages in flight (about 1,600 files, a few MB, held). */
const BATCH_FILES = 200;
const MAX_IN_FLIGHT = 8;
/** The thread's young generation, MB (V8's default is several times this; its batches are a few hundred KB). */
const WRITER_YOUNG_MB = 4;
/** Directories the calling thread remembers having made (a generated site's files are in 20). */
const DIRS_KEPT = 256;
/** Longest wait for the thread to finish one batch before it is taken for dead. */
const BATCH_TIMEOUT_MS = 120_000;

/** The thread: writes each batch [path, content, path, content...], counts it done in `state[0]`; the first error stops it. */
const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const path = require('node:path');
const state = new Int32Array(workerData.state);
const dirs = new Set();
parentPort.on('message', (batch) => {
  if (Atomics.load(state, 1) === 0) {
    try {
      for (let i = 0; i < batch.length; i += 2) {
        const dir = path.dirname(batch[i]);
        if (!dirs.has(dir)) fs.mkdirSync(dir, { recursive: true });
        dirs.add(dir);
        fs.writeFileSync(batch[i], batch[i + 1]);
      }
    } catch (err) {
      workerData.errors.postMessage({ message: String(err && err.message), code: err && err.code });
      Atomics.store(state, 1, 1);
    }
  }
  Atomics.add(state, 0, 1);
  Atomics.notify(state, 0);
});
`;

interface Thread {
  readonly worker: Worker;
  /** [batches done, failed]. */
  readonly state: Int32Array;
  readonly errors: MessagePort;
  sent: number;
}

/** Writes files below their directories (created as needed); `finish` returns once every file is on disk. */
export class StagingWriter {
  private thread?: Thread;
  private failure?: NodeJS.ErrnoException;
  private batch: string[] = [];
  private written = 0;
  /**
   * Directories made so far, forgotten once there are DIRS_KEPT: files come a directory at a
   * time, and one forgotten and met again is only made again (mkdir of a directory that exists is
   * no error). Kept whole, it held 20,000 paths to the end of 1,000 generated sites.
   */
  private readonly dirs = new Set<string>();

  /** @param syncFiles files written in this thread before the worker thread starts (tests set 0) */
  constructor(private readonly syncFiles = SYNC_FILES) {}

  write(file: string, content: string): void {
    if (!this.thread && this.written < this.syncFiles) {
      const dir = path.dirname(file);
      if (!this.dirs.has(dir)) {
        fs.mkdirSync(dir, { recursive: true });
        if (this.dirs.size >= DIRS_KEPT) this.dirs.clear();
        this.dirs.add(dir);
      }
      fs.writeFileSync(file, content);
      this.written++;
      return;
    }
    this.batch.push(file, content);
    if (this.batch.length >= 2 * BATCH_FILES) this.send();
  }

  /** Waits until every file is written; throws the thread's error, if any. */
  finish(): void {
    if (this.batch.length > 0) this.send();
    if (!this.thread) return;
    this.waitUntil(this.thread.sent);
    this.throwIfFailed();
  }

  /** Stops the thread once what it was given is written (or it failed): nothing is written after this returns. */
  stop(): void {
    const thread = this.thread;
    if (!thread) return;
    this.batch = [];
    try {
      this.waitUntil(thread.sent);
    } finally {
      this.thread = undefined;
      thread.errors.close();
      void thread.worker.terminate();
    }
  }

  private start(): Thread {
    const state = new Int32Array(new SharedArrayBuffer(8));
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(THREAD, {
      eval: true,
      workerData: { state: state.buffer, errors: port2 },
      transferList: [port2],
      // It holds a batch at a time: a small young generation keeps its garbage (and the RSS) small.
      resourceLimits: { maxYoungGenerationSizeMb: WRITER_YOUNG_MB },
    });
    worker.unref();
    return { worker, state, errors: port1, sent: 0 };
  }

  private send(): void {
    this.throwIfFailed();
    const thread = (this.thread ??= this.start());
    // Bounded memory: the render waits for the disk rather than queueing every file.
    this.waitUntil(thread.sent - MAX_IN_FLIGHT + 1);
    thread.worker.postMessage(this.batch);
    thread.sent++;
    this.batch = [];
  }

  private waitUntil(batches: number): void {
    const thread = this.thread;
    if (!thread) return;
    for (let done = Atomics.load(thread.state, 0); done < batches; done = Atomics.load(thread.state, 0)) {
      if (Atomics.wait(thread.state, 0, done, BATCH_TIMEOUT_MS) === 'timed-out' && Atomics.load(thread.state, 0) === done) {
        throw new Error(`the file writer thread wrote nothing for ${BATCH_TIMEOUT_MS / 1000} s`);
      }
    }
  }

  private throwIfFailed(): void {
    const thread = this.thread;
    if (!this.failure && thread && Atomics.load(thread.state, 1) !== 0) {
      const sent = receiveMessageOnPort(thread.errors)?.message as { message: string; code?: string } | undefined;
      this.failure = new Error(sent?.message ?? 'the file writer thread failed');
      if (sent?.code) this.failure.code = sent.code;
    }
    if (this.failure) throw this.failure;
  }
}
