// Bundles main.ts (and the review and bench entries) into dist/ with esbuild: a ~50 ms transpile without
// type-checking; `npm run typecheck` (tsc --noEmit) checks types separately, as CI does.
import { build } from 'esbuild';

await build({
  entryPoints: {
    main: 'main.ts',
    review: 'review.ts',
    'bench-render': 'bench/render-sites.ts',
    'aws-stack': 'tools/aws-stack.ts',
  },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
});
