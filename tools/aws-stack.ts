/**
 * `npm run aws-stack -- --site NAME` (exit 2 on a bad command line or site): synthesizes the CloudFormation stack of a site whose object
 * store is `aws` (the buckets the site's components were granted) into a cloud assembly under
 * dist/cdk.out/<site>, for `npx cdk deploy --app dist/cdk.out/<site>`. Run it before synth when a
 * component asks for a new bucket: synth reads the deployed stack's outputs.
 */
import type { AwsS3Store } from '../charts/object-store/aws';
import { parseCommandLine, runCommand, usageError } from './cli';

const COMMAND = {
  name: 'aws-stack',
  usage: 'npm run aws-stack -- --site NAME',
  options: { site: { type: 'string' } },
  help: { site: 'the site whose object store is aws (required)' },
} as const;

async function main(): Promise<number> {
  const args = parseCommandLine(COMMAND, process.argv.slice(2));
  // The site model once the command line is known good; cdk8s, the charts and the pipeline once the site is.
  const { SITES, EDGE, PLATFORM } = await import('../sites');
  const aws = SITES.filter((s) => s.objectStore.kind === 'aws').map((s) => s.name);
  const choices = `sites with an aws object store: ${aws.join(', ') || 'none'}`;
  if (args.site === undefined) throw usageError(COMMAND, `--site is required; ${choices}`);
  const site = SITES.find((s) => s.name === args.site);
  if (!site) throw usageError(COMMAND, `no site named ${args.site}; ${choices}`);
  if (site.objectStore.kind !== 'aws')
    throw usageError(COMMAND, `site ${site.name} stores objects in ${site.objectStore.kind}, not aws; ${choices}`);
  const [{ App }, { componentsOf }, { siteContext }, { AwsS3Store }, { buildPlatform }, { PlatformError }, { validateSites }] =
    await Promise.all([
      import('cdk8s'),
      import('../charts/registry'),
      import('../charts/context'),
      import('../charts/object-store/aws'),
      import('../charts/platform'),
      import('../model/errors'),
      import('../pipeline/validate-sites'),
    ]);
  try {
    validateSites(SITES, EDGE);
  } catch (err) {
    if (!(err instanceof PlatformError)) throw err;
    console.error(`aws-stack: ${err.message}`);
    return 2;
  }
  // Building the platform declares the buckets; nothing is serialized, so no output is needed yet.
  const app = new App({ outdir: 'dist/cdk8s' });
  buildPlatform(app, siteContext(site, PLATFORM));
  // cdk8s gives every Chart the same `instanceof`; compare the class itself.
  const store = componentsOf(app).find((c): c is AwsS3Store => c.constructor === AwsS3Store)!;
  if (store.granted.length === 0) {
    console.error(`aws-stack: no component of site ${site.name} is granted a bucket; the stack would be empty`);
    return 2;
  }
  const assembly = store.awsApp.synth();
  console.log(`aws-stack: ${site.objectStore.stackName} -> ${assembly.directory} (npx cdk deploy --app ${assembly.directory})`);
  return 0;
}

runCommand(main);
