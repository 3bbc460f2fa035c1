/**
 * `npm run aws-stack -- --site NAME`: synthesizes the CloudFormation stack of a site whose object
 * store is `aws` (the buckets the site's components were granted) into a cloud assembly under
 * dist/cdk.out/<site>, for `npx cdk deploy --app dist/cdk.out/<site>`. Run it before synth when a
 * component asks for a new bucket: synth reads the deployed stack's outputs.
 */
import { App } from 'cdk8s';
import { componentsOf } from '../charts/component';
import { AwsS3Store } from '../charts/object-store/aws';
import { buildPlatform } from '../charts/platform';
import { validateSites } from '../pipeline/validate-sites';
import { SITES, EDGE } from '../sites';

function main(): number {
  const i = process.argv.indexOf('--site');
  const name = i >= 0 ? process.argv[i + 1] : undefined;
  const site = SITES.find((s) => s.name === name);
  if (!site || site.objectStore.kind !== 'aws') {
    const aws = SITES.filter((s) => s.objectStore.kind === 'aws').map((s) => s.name);
    console.error(`usage: aws-stack --site NAME; sites with an aws object store: ${aws.join(', ') || 'none'}`);
    return 2;
  }
  validateSites(SITES, EDGE);
  // Building the platform declares the buckets; nothing is serialized, so no output is needed yet.
  const app = new App({ outdir: 'dist/cdk8s' });
  buildPlatform(app, { site, sites: SITES, edge: EDGE });
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

process.exitCode = main();
