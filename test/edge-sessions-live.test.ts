/**
 * The open sessions of a site the edge marks down are cut (`on-marked-down shutdown-sessions`,
 * charts/edge/haproxy.ts): the real HAProxy on the rendered file (test/edge-run.ts), a client
 * session held open through it to cluster1 on 443 and on 80, cluster1 made to answer its health
 * question 503. Once HAProxy reports cluster1 DOWN (on 443's check and on 80's server tracking
 * it), each session is closed; with the keyword removed from the rendered file, the same sessions
 * stay open and keep carrying the client's lines to the failed site.
 */
import { EDGE, SITES } from '../sites';
import { RunningEdge } from './edge-run';
import { healthySites, suiteCerts, type EdgeTestCerts } from './edge-site';
import { withEdgeSessions, withoutShutdownSessions } from './edge-session';

/**
 * Opens a session on 443 and one on 80 through the edge to cluster1, makes cluster1 answer 503,
 * and returns, for each port, what a line sent once HAProxy reports cluster1 DOWN gets.
 */
async function sessionsAcrossDown(certs: EdgeTestCerts, change?: (text: string) => string): Promise<Record<string, string>> {
  const sites = healthySites(SITES, certs);
  const first = sites.get('cluster1')!;
  first.holdSessions = true;
  const edge = new RunningEdge(EDGE, sites, { trustedCa: certs.trustedCa, change });
  return withEdgeSessions(edge, 'cluster1', async (sessions) => {
    const down = Promise.all(['sites-https', 'sites-http'].map((backend) => edge.nextTransition(backend, 'cluster1', 'DOWN', () => true)));
    first.health = 503;
    await down;
    const after: Record<string, string> = {};
    for (const [port, session] of Object.entries(sessions)) after[port] = await session.send('after-down');
    return after;
  });
}

describe('the open sessions of a site the edge marks down', () => {
  const certs = suiteCerts('edge-sessions-');

  it('are closed when HAProxy reports the site DOWN, on 443 and on 80', async () => {
    expect(await sessionsAcrossDown(certs())).toEqual({ https: 'closed', http: 'closed' });
  }, 60_000);

  it('stay open and keep reaching the failed site without on-marked-down shutdown-sessions (the test can fail)', async () => {
    expect(await sessionsAcrossDown(certs(), withoutShutdownSessions)).toEqual({
      https: 'cluster1 after-down',
      http: 'cluster1 after-down',
    });
  }, 60_000);
});
