/**
 * One typed way to a secret: every Secret a rendered pod reads (volumes, projected volumes,
 * environment, image pull secrets) must be produced in its namespace by an ExternalSecret (Vault),
 * a cert-manager Certificate (a key the cluster generates), a Secret the upstream release of the
 * same component writes for itself (its release table's `creates.ownSecrets`), or a Secret the
 * site renders under a declared exception. Anything else is a Secret someone would create by
 * hand, outside git and outside Vault.
 */
import type { Finding } from '../../model/errors';
import type { KubeObject, RenderedSite } from '../render';
import { list, objectId, record } from './context';
import { containersOf, podTemplateOf } from './workloads';

/** How a Secret of the site comes to exist. */
type Producer = 'ExternalSecret' | 'Certificate' | 'upstream release' | 'rendered Secret';

/** Every Secret the site's objects and releases produce, by `namespace/name`. */
export function secretProducers(site: RenderedSite): Map<string, Producer> {
  const producers = new Map<string, Producer>();
  for (const c of site.components) {
    for (const o of c.objects) {
      const ns = o.metadata.namespace ?? c.kustomize.namespace ?? c.namespace ?? '';
      const spec = record(o.spec);
      if (o.kind === 'ExternalSecret') producers.set(`${ns}/${String(record(spec.target).name ?? o.metadata.name)}`, 'ExternalSecret');
      if (o.kind === 'Certificate' && typeof spec.secretName === 'string') producers.set(`${ns}/${spec.secretName}`, 'Certificate');
      if (o.kind === 'Secret' && o.apiVersion === 'v1') producers.set(`${ns}/${o.metadata.name}`, 'rendered Secret');
    }
    for (const r of c.upstreamReleases)
      for (const s of r.creates.ownSecrets ?? [])
        producers.set(`${c.kustomize.namespace ?? c.namespace ?? ''}/${s.name}`, 'upstream release');
  }
  return producers;
}

/** The Secrets a pod template reads, each with the field that names it. */
export function consumedSecrets(object: KubeObject): { name: string; field: string }[] {
  const template = podTemplateOf(object);
  if (!template) return [];
  const out: { name: string; field: string }[] = [];
  list(template.spec.volumes).forEach((v, i) => {
    const at = `${template.path}.volumes[${i}]`;
    const secret = record(v.secret);
    if (typeof secret.secretName === 'string') out.push({ name: secret.secretName, field: `${at}.secret.secretName` });
    list(record(v.projected).sources).forEach((s, j) => {
      const name = record(s.secret).name;
      if (typeof name === 'string') out.push({ name, field: `${at}.projected.sources[${j}].secret.name` });
    });
  });
  list(template.spec.imagePullSecrets).forEach((s, i) => {
    if (typeof s.name === 'string') out.push({ name: s.name, field: `${template.path}.imagePullSecrets[${i}].name` });
  });
  for (const { container, path } of containersOf(template)) {
    list(container.env).forEach((e, i) => {
      const name = record(record(e.valueFrom).secretKeyRef).name;
      if (typeof name === 'string') out.push({ name, field: `${path}.env[${i}].valueFrom.secretKeyRef.name` });
    });
    list(container.envFrom).forEach((e, i) => {
      const name = record(e.secretRef).name;
      if (typeof name === 'string') out.push({ name, field: `${path}.envFrom[${i}].secretRef.name` });
    });
  }
  return out;
}

/** A finding for each Secret a pod reads that nothing in the platform produces. */
export function checkSecretConsumers(site: RenderedSite): Finding[] {
  const producers = secretProducers(site);
  const findings: Finding[] = [];
  for (const c of site.components) {
    c.objects.forEach((o, i) => {
      if (c.patchIndexes.has(i)) return;
      const ns = o.metadata.namespace ?? c.namespace ?? '';
      for (const { name, field } of consumedSecrets(o)) {
        if (!producers.has(`${ns}/${name}`))
          findings.push({
            site: site.site.name,
            component: c.name,
            object: objectId(o),
            field,
            message: `reads Secret ${ns}/${name}, which no ExternalSecret, Certificate or declared upstream Secret produces: read it from Vault with a VaultSecret`,
          });
      }
    });
  }
  return findings;
}
