/**
 * AWS S3: the buckets are defined with aws-cdk-lib in this program (one Stack per site), and the
 * values clients need (bucket names CloudFormation generates at deploy time, region, endpoint)
 * are CloudFormation outputs of that stack. Objects carry the outputs' tokens; the resolver below
 * (cdk8s `IResolver`, the same behaviour as @cdk8s/awscdk-resolver) replaces each token during
 * synth with the value DescribeStacks returned. cdk8s resolvers are synchronous and the AWS SDK is
 * not, so pipeline/aws-outputs.ts fetches every needed stack's outputs before rendering.
 * aws-cdk-lib is loaded only when a site uses this kind, keeping the common synth fast.
 */
import { ApiObject, App, Chart, Lazy, type IResolver, type ResolutionContext } from 'cdk8s';
import type * as cdkLib from 'aws-cdk-lib/core';
import type * as iamLib from 'aws-cdk-lib/aws-iam';
import type * as s3Lib from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { AwsObjectStore } from '../../sites';
import { PlatformComponent } from '../component';
import type { SiteContext } from '../context';
import type { Endpoint } from '../lib/declarations';
import { stackKey, type BucketAccess, type BucketOptions } from '../lib/object-store';
import type { SecretsComponent } from '../secrets/secrets';
import { OBJECT_STORE, ObjectStoreComponent } from './common';
import { commonLabels } from '../lib/labels';
import { unaffected } from '../lib/resilience';

interface AwsCdk {
  readonly cdk: typeof cdkLib;
  readonly s3: typeof s3Lib;
  readonly iam: typeof iamLib;
}

/** Loads aws-cdk-lib on first use only (a plain require, kept out of the bundle's start-up). */
function loadAwsCdk(): AwsCdk {
  /* eslint-disable @typescript-eslint/no-require-imports */
  return {
    cdk: require('aws-cdk-lib/core') as typeof cdkLib,
    s3: require('aws-cdk-lib/aws-s3') as typeof s3Lib,
    iam: require('aws-cdk-lib/aws-iam') as typeof iamLib,
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
}

/** `db-backups` -> `DbBackups`, for CloudFormation logical IDs. */
function pascal(purpose: string): string {
  return purpose
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}

export class AwsS3Store extends ObjectStoreComponent {
  /** The aws-cdk-lib app holding the site's stack (`cdk deploy` synthesizes it). */
  readonly awsApp: cdkLib.App;
  /** The stack with the site's buckets. */
  readonly stack: cdkLib.Stack;
  private readonly aws: AwsCdk;
  private readonly config: AwsObjectStore;
  private readonly outputs: cdkLib.CfnOutput[] = [];
  private readonly regionToken: string;
  private readonly endpointToken: string;

  constructor(scope: Construct, context: SiteContext, secrets: SecretsComponent) {
    super(scope, context, secrets);
    if (context.site.objectStore.kind !== 'aws') throw new Error('AwsS3Store needs objectStore.kind aws');
    this.declareFailureBehaviour({ serves: 'S3 buckets on AWS', nodeLoss: unaffected('runs outside the cluster') });
    this.config = context.site.objectStore;
    this.aws = loadAwsCdk();
    const { cdk } = this.aws;
    // Synthesized only on demand (template(), cdk deploy), into the build directory.
    this.awsApp = new cdk.App({ autoSynth: false, outdir: `dist/cdk.out/${this.site.name}` });
    this.stack = new cdk.Stack(this.awsApp, 'objects', {
      stackName: this.config.stackName,
      env: { region: this.config.region },
      description: `Object storage of platform site ${this.site.name} (rendered by the platform's synth)`,
    });
    this.regionToken = this.output('Region', cdk.Aws.REGION);
    this.endpointToken = this.output('EndpointUrl', cdk.Fn.join('', ['https://s3.', cdk.Aws.REGION, '.', cdk.Aws.URL_SUFFIX]));
    // What synth resolved, in git: the reviewed diff shows the deploy-time names clients get.
    new ApiObject(this, 'resolved', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `${OBJECT_STORE}-aws`, namespace: OBJECT_STORE, labels: commonLabels(OBJECT_STORE) },
      data: Lazy.any({
        // Without a granted bucket the stack has no resource (CloudFormation refuses to deploy it), so no output either.
        produce: () =>
          this.buckets.size === 0
            ? { stack: this.config.stackName }
            : {
                stack: this.config.stackName,
                region: this.regionToken,
                endpoint: this.endpointToken,
                ...Object.fromEntries(this.granted.map((b) => [`bucket.${b.purpose}`, b.bucket])),
              },
      }),
    });
    const fetched = context.stackOutputs?.get(stackKey(this.config.region, this.config.stackName));
    App.of(this).resolvers.unshift(new StackOutputResolver(this.aws.cdk, this.stack, this.outputs, fetched, this.config));
  }

  /** Declares a stack output with a fixed logical ID (its key in DescribeStacks); returns its token. */
  private output(key: string, value: string): string {
    const output = new this.aws.cdk.CfnOutput(this.stack, key, { value });
    output.overrideLogicalId(key);
    this.outputs.push(output);
    return value;
  }

  protected credentialsPath(purpose: string): string {
    return `${this.config.credentialsPath}/${purpose}`;
  }

  protected declareBucket(purpose: string, options: BucketOptions): string {
    const { cdk, s3, iam } = this.aws;
    const id = pascal(purpose);
    const abort = { abortIncompleteMultipartUploadAfter: cdk.Duration.days(1) };
    const bucket = new s3.Bucket(this.stack, `${id}Bucket`, {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      removalPolicy: cdk.RemovalPolicy.RETAIN,
      lifecycleRules: [
        options.expireAfterDays !== undefined ? { ...abort, expiration: cdk.Duration.days(options.expireAfterDays) } : abort,
      ],
    });
    // One IAM user per purpose; its access key is created by an operator and stored in Vault.
    const user = new iam.User(this.stack, `${id}Client`);
    bucket.grantReadWrite(user);
    return this.output(`${id}BucketName`, bucket.bucketName);
  }

  protected declareFlow(client: PlatformComponent, pods: Endpoint): void {
    client.talksOutside({
      pods,
      direction: 'egress',
      cidrs: ['0.0.0.0/0'],
      ports: [{ port: 443 }],
      reason: `AWS S3 in ${this.config.region}: its addresses are many and change (ip-ranges.json), so HTTPS to any address`,
    });
  }

  protected location(): Pick<BucketAccess, 'endpointUrl' | 'region' | 'pathStyle'> {
    return { endpointUrl: this.endpointToken, region: this.regionToken, pathStyle: false };
  }

  /** The CloudFormation template of the site's stack (what `cdk deploy` would deploy). */
  template(): Record<string, unknown> {
    return this.awsApp.synth().getStackByName(this.config.stackName).template as Record<string, unknown>;
  }
}

/**
 * Replaces a token of one of the stack's outputs with the value fetched from CloudFormation. A
 * value that merely embeds a token, an output the stack lacks, or a stack not fetched is a synth
 * error naming the site, the component and the field.
 */
class StackOutputResolver implements IResolver {
  constructor(
    private readonly cdk: typeof cdkLib,
    private readonly stack: cdkLib.Stack,
    private readonly outputs: readonly cdkLib.CfnOutput[],
    private readonly fetched: ReadonlyMap<string, string> | undefined,
    private readonly config: AwsObjectStore,
  ) {}

  resolve(context: ResolutionContext): void {
    const value: unknown = context.value;
    if (typeof value !== 'string' || !this.cdk.Token.isUnresolved(value)) return;
    const chart = Chart.of(context.obj);
    // A finding, not a throw: cdk8s would keep only the message of what a resolver throws.
    const report = (message: string): void => {
      if (!PlatformComponent.isPlatformComponent(chart)) throw new Error(message);
      chart.report({ object: `${context.obj.kind}/${context.obj.name}`, field: 'objectStore.stackName', message });
    };
    const wanted = JSON.stringify(this.stack.resolve(value));
    const output = this.outputs.find((o) => JSON.stringify(this.stack.resolve(o.value)) === wanted);
    const stack = `stack ${this.config.stackName} (${this.config.region})`;
    if (!output) return report(`${context.key.join('.')} embeds a CloudFormation token that is not a whole output of ${stack}`);
    const key = this.stack.resolve(output.logicalId) as string;
    if (!this.fetched) return report(`the outputs of ${stack} were not fetched before rendering`);
    const resolved = this.fetched.get(key);
    if (resolved === undefined) return report(`${stack} has no output '${key}': deploy the stack's current template first`);
    context.replaceValue(resolved);
  }
}
