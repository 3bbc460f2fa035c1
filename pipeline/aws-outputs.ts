/**
 * Fetches, before rendering, the CloudFormation outputs of every stack the selected sites' `aws`
 * object stores name (one DescribeStacks per stack, cached per region/stack). The render itself is
 * synchronous (cdk8s resolvers cannot await), so this asynchronous step runs first and hands the
 * values to it. The AWS SDK is loaded only when some site uses `aws`.
 *
 * Endpoint: the SDK's own `AWS_ENDPOINT_URL_CLOUDFORMATION` (or `endpoint` here, for tests).
 * Failures are bounded (attempts, connect and request timeouts) and reported as PlatformErrors
 * naming the site, the component and the field.
 */
import { stackKey, type StackOutputs } from '../charts/lib/object-store';
import type { Site } from '../sites';
import { PlatformError, type Finding } from '../model/errors';
import { COMPONENT } from '../model/components';

export interface FetchOptions {
  /** CloudFormation endpoint URL (tests); the SDK's environment and defaults otherwise. */
  readonly endpoint?: string;
  /** Attempts per call, retries included (default 2). */
  readonly maxAttempts?: number;
  /** Connection and request timeouts in milliseconds (default 5000 each). */
  readonly timeoutMs?: number;
}

/** Outputs of the stacks named by `sites` (only those whose store is `aws`). */
export async function fetchStackOutputs(sites: readonly Site[], options: FetchOptions = {}): Promise<StackOutputs> {
  const wanted = new Map<string, { region: string; stackName: string; sites: string[] }>();
  for (const site of sites) {
    if (site.objectStore?.kind !== 'aws') continue;
    const { region, stackName } = site.objectStore;
    const key = stackKey(region, stackName);
    const entry = wanted.get(key) ?? { region, stackName, sites: [] };
    entry.sites.push(site.name);
    wanted.set(key, entry);
  }
  const result = new Map<string, ReadonlyMap<string, string>>();
  if (wanted.size === 0) return result;

  const { CloudFormationClient, DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
  const timeout = options.timeoutMs ?? 5000;
  const findings: Finding[] = [];
  for (const [key, { region, stackName, sites: users }] of [...wanted].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const client = new CloudFormationClient({
      region,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      maxAttempts: options.maxAttempts ?? 2,
      // An options object: the SDK builds its Node handler from it.
      requestHandler: { connectionTimeout: timeout, requestTimeout: timeout },
    });
    try {
      const answer = await client.send(new DescribeStacksCommand({ StackName: stackName }));
      const stack = answer.Stacks?.[0];
      if (!stack) throw new Error('DescribeStacks returned no stack');
      result.set(
        key,
        new Map((stack.Outputs ?? []).flatMap((o) => (o.OutputKey && o.OutputValue !== undefined ? [[o.OutputKey, o.OutputValue]] : []))),
      );
    } catch (err) {
      const e = err as Error & { $metadata?: unknown };
      const missing = /does not exist/.test(e.message);
      const message = missing
        ? `CloudFormation stack ${stackName} does not exist in ${region}: deploy it first (see docs/object-store.md)`
        : `cannot read CloudFormation stack ${stackName} in ${region}: ${e.name}: ${e.message}`;
      for (const site of users)
        findings.push({ site, component: COMPONENT.objectStore, field: missing ? 'objectStore.stackName' : 'objectStore.region', message });
    } finally {
      client.destroy();
    }
  }
  if (findings.length > 0) throw new PlatformError(findings);
  return result;
}
