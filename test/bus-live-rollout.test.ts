/**
 * Each site syncs on its own, so for a while one end of the link may run the configuration from
 * before a change. Here the hub's leaf users have no permissions at all (the link as it was
 * before the cross-site filter): the leaf end's deny-lists alone must keep each site's work and
 * acknowledgements on its site.
 */
import { SITES } from '../sites';
import { tempDir } from './helpers';
import { asProbe, createJobsStream, probeModel, pullAndAck, startSites, stopServer, storedJobs, testCa, type LiveSite } from './bus-sites';
import { eventually, liveTimeout } from './nats-helpers';

const { dir, cleanup } = tempDir('bus-rollout-');
let sites: LiveSite[] = [];
const settle = () => new Promise((r) => setTimeout(r, 1500));

beforeAll(async () => {
  const withoutHubPermissions = (site: (typeof SITES)[number], config: ReturnType<LiveSite['bus']['serverConfig']>) =>
    site.bus.role !== 'hub'
      ? config
      : {
          ...config,
          accounts: config.accounts.map((a) => ({
            ...a,
            users: a.users.map((u) => (u.connectionType === 'LEAFNODE' ? { ...u, permissions: undefined } : u)),
          })),
        };
  sites = await startSites(
    dir,
    SITES.map((site) => ({ site, bus: probeModel(site, dir, []) })),
    testCa(dir),
    withoutHubPermissions,
  );
  for (const site of sites) await createJobsStream(site);
}, liveTimeout(9));

afterAll(async () => {
  await Promise.all(sites.flatMap((s) => s.processes).map(stopServer));
  cleanup();
});

it(
  'keeps each publish on its own site and each ack on its own stream with only the leaf end filtering',
  async () => {
    const leaf = sites.find((s) => s.site.bus.role === 'leaf')!;
    const hub = sites.find((s) => s.site.bus.role === 'hub')!;
    await settle();
    // Both sites at once: their windows for a second PubAck overlap (a copy stored by the other
    // site would answer in either window all the same).
    const acks = await Promise.all(sites.map(({ servers }) => asProbe(servers[1]!, (conn) => conn.requestAll('jobs.resize', '{}'))));
    sites.forEach(({ site }, i) => {
      expect(acks[i]!.map((a) => (JSON.parse(a) as { domain: string }).domain)).toEqual([site.name]);
    });
    await settle();
    const hubBefore = await storedJobs(hub.servers[0]!);
    await pullAndAck(leaf.servers[0]!);
    await eventually('the ack applied on the leaf', async () => ((await storedJobs(leaf.servers[0]!)) === 0 ? true : undefined));
    await settle();
    expect(await storedJobs(hub.servers[0]!)).toBe(hubBefore);
  },
  liveTimeout(3),
);
