// Bundles the command-line entries into dist/ with esbuild (transpile only: `npm run typecheck`,
// tsc --noEmit, checks types separately, as CI does), after generating the site-file validators
// from sites/types.ts when it changed (tools/site-shape.mjs).
//   node tools/build.mjs                 builds every entry
//   node tools/run.mjs <entry> [args]    builds <entry> only if one of its inputs changed, then runs it
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { buildSiteShape } from './site-shape.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const ENTRIES = {
  main: 'main.ts',
  review: 'review.ts',
  'bench-render': 'bench/render-sites.ts',
  'aws-stack': 'tools/aws-stack.ts',
  import: 'tools/import.ts',
};

/** Where the inputs of an entry's last build are recorded (path -> size and mtime). */
const stampOf = (entry) => path.join(root, 'dist', `${entry}.inputs.json`);

function fingerprint(files) {
  return Object.fromEntries(
    files.map((f) => {
      const st = fs.statSync(path.join(root, f), { throwIfNoEntry: false });
      return [f, st ? `${st.size}:${st.mtimeMs}` : 'missing'];
    }),
  );
}

/** Builds `entry` into dist/<entry>.js; with `onlyIfStale`, skips it when no input changed. */
export function buildEntry(entry, { onlyIfStale = false } = {}) {
  // Bundled into every entry (pipeline/site-shape.ts), so generated first.
  buildSiteShape();
  const out = path.join(root, 'dist', `${entry}.js`);
  if (onlyIfStale && fs.existsSync(out) && fs.existsSync(stampOf(entry))) {
    const recorded = JSON.parse(fs.readFileSync(stampOf(entry), 'utf8'));
    const now = fingerprint(Object.keys(recorded));
    if (Object.keys(recorded).every((f) => recorded[f] === now[f])) return out;
  }
  const result = buildSync({
    absWorkingDir: root,
    entryPoints: { [entry]: ENTRIES[entry] },
    outdir: 'dist',
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    logLevel: 'warning',
    metafile: true,
    // Written by hand below: to a temporary file renamed into place, so that a run starting while
    // another rebuilds never loads a half-written bundle.
    write: false,
  });
  for (const file of result.outputFiles) {
    const tmp = `${file.path}.${process.pid}.tmp`;
    fs.mkdirSync(path.dirname(file.path), { recursive: true });
    fs.writeFileSync(tmp, file.contents);
    fs.renameSync(tmp, file.path);
  }
  // Every source file the bundle was made of, plus what decides how it is made.
  const inputs = [...Object.keys(result.metafile.inputs), 'tools/build.mjs', 'package-lock.json'].sort();
  fs.writeFileSync(stampOf(entry), `${JSON.stringify(fingerprint(inputs))}\n`);
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const entry of Object.keys(ENTRIES)) buildEntry(entry);
}
