/**
 * The `aws` object store against a local CloudFormation: a node HTTP server on 127.0.0.1 speaks the
 * query protocol's DescribeStacks, and the real AWS SDK (fake credentials, bounded retries and
 * timeouts) is pointed at it. Nothing leaves loopback.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { stackKey } from '../charts/lib/object-store';
import type { AwsS3Store } from '../charts/object-store/aws';
import type { PlatformExtension } from '../charts/platform';
import { fetchStackOutputs } from '../pipeline/aws-outputs';
import { PlatformError } from '../model/errors';
import { synth } from '../pipeline/synth';
import { objectStores } from '../sites/object-stores';
import { SITES, PLATFORM } from '../sites';
import { renderedGitops, tempDir, treeDigest } from './helpers';
import { renderStore, siteWithStore, StoreClient } from './store-fixtures';

// The committed platform has no bucket client yet (the resizer is wired with the bus): add one.
const withClient: PlatformExtension = (scope, context, pieces) => {
  new StoreClient(scope, context, pieces['object-store']!, [['images']]);
};

const site = siteWithStore('cluster1', objectStores.aws('cluster1'));
const STACK = 'chatalk-cluster1-objects';
const OUTPUTS: Record<string, string> = {
  Region: 'eu-west-3',
  EndpointUrl: 'https://s3.eu-west-3.amazonaws.com',
  ImagesBucketName: 'chatalk-cluster1-objects-imagesbucket-1a2b3c4d5e6f',
  BackupsBucketName: 'chatalk-cluster1-objects-backupsbucket-0f9e8d7c6b5a',
};

interface Seen {
  action?: string;
  stackName?: string;
  authorization?: string;
}

/** A CloudFormation stand-in knowing `stacks` (name -> outputs). */
function cloudFormation(
  stacks: Record<string, Record<string, string>>,
): Promise<{ url: string; seen: Seen[]; close: () => Promise<void> }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const form = new URLSearchParams(body);
      const stackName = form.get('StackName') ?? '';
      seen.push({ action: form.get('Action') ?? undefined, stackName, authorization: req.headers.authorization });
      const outputs = stacks[stackName];
      res.setHeader('content-type', 'text/xml');
      if (!outputs) {
        res.statusCode = 400;
        res.end(
          `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id ${stackName} does not exist</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`,
        );
        return;
      }
      const members = Object.entries(outputs)
        .map(([k, v]) => `<member><OutputKey>${k}</OutputKey><OutputValue>${v}</OutputValue></member>`)
        .join('');
      res.end(
        `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member>` +
          `<StackName>${stackName}</StackName><StackId>arn:aws:cloudformation:eu-west-3:123456789012:stack/${stackName}/1</StackId>` +
          `<CreationTime>2026-11-01T00:00:00Z</CreationTime><StackStatus>CREATE_COMPLETE</StackStatus><Outputs>${members}</Outputs>` +
          `</member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>r-2</RequestId></ResponseMetadata></DescribeStacksResponse>`,
      );
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ url: `http://127.0.0.1:${port}`, seen, close: () => new Promise((r) => server.close(() => r())) });
    }),
  );
}

const savedEnv = { ...process.env };
beforeAll(() => {
  // Fake credentials: the SDK signs requests but never looks elsewhere for credentials.
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: 'AKIAFAKEFORTESTS0000',
    AWS_SECRET_ACCESS_KEY: 'fake-secret-for-tests',
    AWS_EC2_METADATA_DISABLED: 'true',
    // aws-cdk-lib's built-in CloudFormation validation (a WebAssembly rule engine, about 5 s of a
    // synth here) only warns unless @aws-cdk/core:validateAgainstDefaultRules is set, which the
    // stack does not set: it cannot fail these tests, which check the template themselves.
    CDK_VALIDATION: 'false',
  });
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_ENDPOINT_URL_CLOUDFORMATION;
});
afterAll(() => {
  process.env = savedEnv;
});

describe('aws object store', () => {
  it('reads the stack outputs with one signed DescribeStacks and renders the resolved names', async () => {
    const cf = await cloudFormation({ [STACK]: OUTPUTS });
    try {
      const outputs = await fetchStackOutputs([site, SITES[1]!], { endpoint: cf.url });
      expect(cf.seen).toHaveLength(1);
      expect(cf.seen[0]).toMatchObject({ action: 'DescribeStacks', stackName: STACK });
      expect(cf.seen[0]!.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIAFAKEFORTESTS0000\/\d{8}\/eu-west-3\/cloudformation\//);
      const { objects, store } = renderStore(site, [['images'], ['backups', 14]], outputs);
      const env = objects('client').find((o) => o.kind === 'ConfigMap')!.data as Record<string, string>;
      expect(env).toEqual({
        BUCKET_0: OUTPUTS.ImagesBucketName,
        REGION_0: 'eu-west-3',
        ENDPOINT_0: 'https://s3.eu-west-3.amazonaws.com',
        BUCKET_1: OUTPUTS.BackupsBucketName,
        REGION_1: 'eu-west-3',
        ENDPOINT_1: 'https://s3.eu-west-3.amazonaws.com',
      });
      // The same program defines the stack those outputs come from.
      const template = (store as AwsS3Store).template() as {
        Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
        Outputs: Record<string, unknown>;
      };
      const types = Object.values(template.Resources).map((r) => r.Type);
      expect(types.filter((t) => t === 'AWS::S3::Bucket')).toHaveLength(2);
      expect(types.filter((t) => t === 'AWS::IAM::User')).toHaveLength(2);
      expect(Object.keys(template.Outputs).sort()).toEqual(Object.keys(OUTPUTS).sort());
      const backups = Object.values(template.Resources).find(
        (r) => r.Type === 'AWS::S3::Bucket' && JSON.stringify(r.Properties).includes('"ExpirationInDays":14'),
      );
      expect(backups).toBeDefined();
    } finally {
      await cf.close();
    }
  });

  it('fails clearly when the stack does not exist', async () => {
    const cf = await cloudFormation({});
    try {
      await expect(fetchStackOutputs([site], { endpoint: cf.url })).rejects.toThrow(
        /site cluster1 \(sites\/cluster1.ts\), component object-store, field objectStore.stackName: CloudFormation stack chatalk-cluster1-objects does not exist in eu-west-3/,
      );
    } finally {
      await cf.close();
    }
  });

  it('fails clearly, within the bounded retries, when CloudFormation is unreachable', async () => {
    // A port that was just free: connection refused on loopback.
    const cf = await cloudFormation({});
    const url = cf.url;
    await cf.close();
    await expect(fetchStackOutputs([site], { endpoint: url, maxAttempts: 2, timeoutMs: 2000 })).rejects.toThrow(
      /site cluster1 .*component object-store, field objectStore.region: cannot read CloudFormation stack chatalk-cluster1-objects in eu-west-3/,
    );
  });

  it('honours the SDK endpoint variable AWS_ENDPOINT_URL_CLOUDFORMATION', async () => {
    const cf = await cloudFormation({ [STACK]: OUTPUTS });
    process.env.AWS_ENDPOINT_URL_CLOUDFORMATION = cf.url;
    try {
      const outputs = await fetchStackOutputs([site]);
      expect(outputs.get(stackKey('eu-west-3', STACK))?.get('Region')).toBe('eu-west-3');
      expect(cf.seen).toHaveLength(1);
    } finally {
      delete process.env.AWS_ENDPOINT_URL_CLOUDFORMATION;
      await cf.close();
    }
  });

  it('fails naming the missing output, and leaves gitops/ untouched', async () => {
    const { Region, EndpointUrl } = OUTPUTS;
    const cf = await cloudFormation({ [STACK]: { Region: Region!, EndpointUrl: EndpointUrl! } });
    const { dir, cleanup } = tempDir();
    try {
      const outputs = await fetchStackOutputs([site], { endpoint: cf.url });
      expect(() => renderStore(site, [['images']], outputs).objects('client')).toThrow(
        /site cluster1 .*component client, object ConfigMap\/client-env, field objectStore.stackName: stack chatalk-cluster1-objects \(eu-west-3\) has no output 'ImagesBucketName'/,
      );
      // Through the synth pipeline on a temp root: a PlatformError, and gitops/ byte for byte as it was.
      fs.cpSync(renderedGitops(), path.join(dir, 'gitops'), { recursive: true });
      const before = treeDigest(path.join(dir, 'gitops'));
      const sites = [site, SITES[1]!];
      expect(() => synth({ root: dir, model: { ...PLATFORM, sites }, stackOutputs: outputs, extend: withClient })).toThrow(
        /site cluster1 .*field objectStore.stackName: stack chatalk-cluster1-objects \(eu-west-3\) has no output '\w+BucketName'/,
      );
      expect(treeDigest(path.join(dir, 'gitops'))).toBe(before);
    } finally {
      cleanup();
      await cf.close();
    }
  });

  it('with every output, the same synth renders the aws site (the refusal above is for the missing output alone)', () => {
    // The platform's own grants (resizer images, PostgreSQL backups) need their outputs too.
    const platformOutputs = { ...OUTPUTS, PostgresBackupsBucketName: 'chatalk-cluster1-objects-postgresbackups-5e6f7a8b9c0d' };
    const complete = new Map([[stackKey('eu-west-3', STACK), new Map(Object.entries(platformOutputs))]]);
    // Rendered, validated and compared with an empty tree (--check): writing is the writer tests' subject.
    const { dir, cleanup } = tempDir();
    try {
      const rendered = synth({
        root: dir,
        model: { ...PLATFORM, sites: [site, SITES[1]!] },
        stackOutputs: complete,
        extend: withClient,
        check: true,
      });
      expect(rendered.diff.added).toEqual(
        expect.arrayContaining(['cluster1/object-store/configmap-object-store-aws.yaml', 'cluster1/client/configmap-client-env.yaml']),
      );
    } finally {
      cleanup();
    }
  });

  it('fails when outputs were not fetched', () => {
    expect(() => renderStore(site, [['images']]).objects('client')).toThrow(PlatformError);
  });
});
