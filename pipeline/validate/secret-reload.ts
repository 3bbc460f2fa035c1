/**
 * A rotation reaches the pods: every workload we render that reads a Secret filled from Vault (an
 * ExternalSecret's target in its namespace) names that Secret in Reloader's annotation
 * (`restartOnSecretChange`, charts/lib/workload.ts), so that a credential rotated in Vault
 * restarts it instead of leaving old and new pods on different values. A CronJob is the one
 * exception: each run reads its Secrets afresh, and Reloader would start a run out of schedule.
 */
import type { Finding } from '../../model/errors';
import { RESTART_ON_SECRET_CHANGE } from '../../charts/lib/workload';
import type { KubeObject, RenderedSite } from '../render';
import { objectId, record } from './context';
import { consumedSecrets, secretProducers } from './secret-consumers';

const FIELD = `metadata.annotations.${RESTART_ON_SECRET_CHANGE}`;

/** The Secrets filled from Vault (an ExternalSecret's target, by `namespace/name` in `producers`) that `object`'s pods read, by name. */
export function vaultSecretsRead(object: KubeObject, namespace: string, producers: ReadonlyMap<string, string>): string[] {
  return [...new Set(consumedSecrets(object).map((s) => s.name))].filter(
    (name) => producers.get(`${namespace}/${name}`) === 'ExternalSecret',
  );
}

/** A finding for each Vault-backed Secret a workload reads without naming it, and each name it gives that it does not read. */
export function checkSecretReload(site: RenderedSite): Finding[] {
  const producers = secretProducers(site);
  const findings: Finding[] = [];
  for (const c of site.components) {
    c.objects.forEach((o, i) => {
      if (c.patchIndexes.has(i) || o.kind === 'CronJob') return;
      const ns = o.metadata.namespace ?? c.namespace ?? '';
      const fromVault = vaultSecretsRead(o, ns, producers);
      const value = record(o.metadata.annotations)[RESTART_ON_SECRET_CHANGE];
      const named = typeof value === 'string' && value !== '' ? value.split(',').map((n) => n.trim()) : [];
      const at = { site: site.site.name, component: c.name, object: objectId(o), field: FIELD };
      const missing = fromVault.filter((name) => !named.includes(name));
      if (missing.length > 0)
        findings.push({
          ...at,
          message: `reads ${missing.map((n) => `Secret ${ns}/${n}`).join(', ')} from Vault without naming ${missing.length === 1 ? 'it' : 'them'} in ${RESTART_ON_SECRET_CHANGE}: a rotation would not restart it; build its annotations with restartOnSecretChange from the VaultSecrets it reads`,
        });
      const stale = named.filter((name) => !fromVault.includes(name));
      if (stale.length > 0)
        findings.push({
          ...at,
          message: `names ${stale.join(', ')} in ${RESTART_ON_SECRET_CHANGE}, which it does not read from Vault: it would restart for nothing`,
        });
    });
  }
  return findings;
}
