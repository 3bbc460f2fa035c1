import * as fs from 'node:fs';
import * as path from 'node:path';
import { stageTree } from '../pipeline/writer';
import { StagingWriter } from '../pipeline/writer-thread';
import { tempDir, treeDigest } from './helpers';

describe('the staging writer', () => {
  it('writes through its thread what it would write itself, byte for byte', () => {
    // All through the thread, the first 300 in this one and the rest through the thread (the
    // switch, then full batches of 200 and a partial one), and none: the same bytes.
    const files = Array.from({ length: 750 }, (_, i) => [`c${i % 17}/d${i % 3}/f${i}.yaml`, `n: ${i}\n${'x'.repeat(i % 300)}\n`] as const);
    const digests = [0, 300, Infinity].map((syncFiles) => {
      const { dir, cleanup } = tempDir();
      try {
        const writer = new StagingWriter(syncFiles);
        for (const [p, content] of files) writer.write(path.join(dir, p), content);
        writer.finish();
        writer.stop();
        return treeDigest(dir);
      } finally {
        cleanup();
      }
    });
    expect(digests[0]).toBe(digests[2]);
    expect(digests[1]).toBe(digests[2]);
    expect(digests[2]!.split('\n').filter(Boolean)).toHaveLength(files.length);
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
