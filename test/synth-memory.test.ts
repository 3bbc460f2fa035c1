/**
 * A large model's synth runs in a node started with a smaller young generation: V8 sizes it when
 * the heap is made, so the flag must be on node's command line (pipeline/synth-memory.ts).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { nodeFlagsFor, relaunchForModel } from '../pipeline/synth-memory';
import { tempDir } from './helpers';

describe('nodeFlagsFor', () => {
  it('gives a large model a young generation of 4 MB, and a small one nothing', () => {
    expect(nodeFlagsFor(2, [])).toEqual([]);
    expect(nodeFlagsFor(20, [])).toEqual([]);
    expect(nodeFlagsFor(21, [])).toEqual(['--max-semi-space-size=4']);
  });

  it("leaves a young generation size given to node as it is (no relaunch loop, the user's choice kept)", () => {
    expect(nodeFlagsFor(1000, ['--max-semi-space-size=8'])).toEqual([]);
    expect(nodeFlagsFor(1000, ['--max-semi-space-size=32'])).toEqual([]);
  });
});

describe('relaunchForModel', () => {
  it('starts nothing for a small model', () => {
    expect(relaunchForModel(2, 'never-run.js', [])).toBeUndefined();
  });

  it("runs the script again in a node whose young generation stays at 4 MB a semi-space and malloc at 2 arenas, with the same arguments, and returns the child's exit status", () => {
    const dir = tempDir();
    try {
      const script = path.join(dir.dir, 'child.js');
      const report = path.join(dir.dir, 'report.json');
      // What the relaunched process sees: its node flags, its arguments, and how far its young
      // generation grew under short-lived garbage (V8's default lets it reach 2 x 16 MB).
      fs.writeFileSync(
        script,
        `let kept = [];
for (let i = 0; i < 6e5; i++) { kept.push({ i, s: 'x' + i }); if (kept.length > 50000) kept = []; }
const young = require('node:v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
require('node:fs').writeFileSync(process.argv[2], JSON.stringify({ flags: process.execArgv, args: process.argv.slice(3), young, arenas: process.env.MALLOC_ARENA_MAX }));
process.exit(3);`,
      );
      expect(relaunchForModel(1000, script, [report, '--check'])).toBe(3);
      const seen = JSON.parse(fs.readFileSync(report, 'utf8')) as { flags: string[]; args: string[]; young: number; arenas?: string };
      expect(seen.flags).toContain('--max-semi-space-size=4');
      expect(seen.args).toEqual(['--check']);
      expect(seen.young).toBeLessThanOrEqual(2 * 4 * 1024 * 1024);
      expect(seen.arenas).toBe(process.env.MALLOC_ARENA_MAX ?? '2');
      // The same garbage in a node of V8's defaults grows it further: the bound above is the flag's.
      const plain = spawnSync(process.execPath, [script, report], { encoding: 'utf8' });
      expect(plain.status).toBe(3);
      expect((JSON.parse(fs.readFileSync(report, 'utf8')) as { young: number }).young).toBeGreaterThan(2 * 4 * 1024 * 1024);
    } finally {
      dir.cleanup();
    }
  });
});
