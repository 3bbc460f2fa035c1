import * as fs from 'node:fs';
import * as path from 'node:path';
import { stageTree } from '../pipeline/writer';
import { StagingWriter } from '../pipeline/writer-thread';
import { filesDigest, tempDir, treeDigest } from './helpers';

describe('the staging writer', () => {
  it('writes through its thread exactly the files given, byte for byte, from the start or after a switch', () => {
    // All through the thread (a full batch of 200, then a partial one), and the first 100 in this
    // thread then the rest through the thread (the switch, a full batch, a partial one): each tree
    // holds exactly the files given, byte for byte.
    const files = Array.from({ length: 350 }, (_, i) => [`c${i % 17}/d${i % 3}/f${i}.yaml`, `n: ${i}\n${'x'.repeat(i % 300)}\n`] as const);
    const expected = filesDigest(files);
    for (const syncFiles of [0, 100]) {
      const { dir, cleanup } = tempDir();
      try {
        const writer = new StagingWriter(syncFiles);
        for (const [p, content] of files) writer.write(path.join(dir, p), content);
        writer.finish();
        writer.stop();
        expect(treeDigest(dir)).toBe(expected);
      } finally {
        cleanup();
      }
    }
  });

  it('writes in this thread into more directories than it remembers, and into one it forgot', () => {
    // 300 directories (past DIRS_KEPT, so what it remembers is cleared), then the first ones again.
    const files = Array.from({ length: 320 }, (_, i) => [`s${i % 300}/c/f${i}.yaml`, `n: ${i}\n`] as const);
    const { dir, cleanup } = tempDir();
    try {
      const writer = new StagingWriter(Infinity);
      for (const [p, content] of files) writer.write(path.join(dir, p), content);
      writer.finish();
      writer.stop();
      expect(treeDigest(dir)).toBe(filesDigest(files));
    } finally {
      cleanup();
    }
  });

  it("throws the thread's error at the finish, and a discarded tree leaves gitops/ as it was", () => {
    const { dir, cleanup } = tempDir();
    try {
      fs.mkdirSync(path.join(dir, 'gitops'));
      fs.writeFileSync(path.join(dir, 'gitops', 'kept.yaml'), 'kept\n');
      const before = treeDigest(dir);
      const staged = stageTree(dir, {}, { syncFiles: 0 });
      staged.add('a/file.yaml', 'a\n');
      // A file where a directory must go: the thread's mkdir fails.
      staged.add('a/file.yaml/inner.yaml', 'b\n');
      let error: unknown;
      try {
        staged.commit();
      } catch (err) {
        error = err;
      }
      expect((error as NodeJS.ErrnoException).code).toMatch(/^(EEXIST|ENOTDIR)$/);
      expect(treeDigest(dir)).toBe(before);
      expect(fs.existsSync(path.join(dir, '.synth-staging', 'next'))).toBe(false);
    } finally {
      cleanup();
    }
  });
});
