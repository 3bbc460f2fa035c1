/**
 * Kubernetes-version compatibility of one rendered site: every upstream release its components
 * install (charts/<piece>/release.ts) must state support for the site's `kubernetesVersion`, or
 * the site must accept the pin in `compatibility.acceptOutsideRange` with the reason. An
 * acceptance that no longer matches an installed pin outside its range is refused, so none
 * outlives the pin it was written for.
 */
import { describePin, describeSupport, inRange, pinOf, type UpstreamRelease } from '../../charts/lib/upstream';
import type { Finding } from '../../model/errors';
import type { RenderedSite } from '../render';

const ACCEPTANCES = 'compatibility.acceptOutsideRange';

/** Each release the site installs, once, with the components installing it. */
export function installedReleases(site: RenderedSite): { release: UpstreamRelease; components: string[] }[] {
  const byPin = new Map<string, { release: UpstreamRelease; components: string[] }>();
  for (const component of site.components) {
    for (const release of component.upstreamReleases) {
      const entry = byPin.get(pinOf(release)) ?? { release, components: [] };
      entry.components.push(component.name);
      byPin.set(pinOf(release), entry);
    }
  }
  return [...byPin.values()];
}

/** What the check found, and the acceptances in force (for npm run validate). */
export interface CompatibilityReport {
  readonly findings: readonly Finding[];
  readonly accepted: readonly string[];
}

export function checkCompatibility(rendered: RenderedSite): CompatibilityReport {
  const { site } = rendered;
  const version = site.kubernetesVersion;
  const acceptances = site.compatibility?.acceptOutsideRange ?? {};
  const findings: Finding[] = [];
  const accepted: string[] = [];
  const installed = installedReleases(rendered);
  for (const { release, components } of installed) {
    if (inRange(release.kubernetes, version)) continue;
    const pin = pinOf(release);
    const reason = acceptances[pin];
    if (reason !== undefined) {
      accepted.push(
        `${site.name}: runs ${describePin(release)} on Kubernetes ${version}, outside its range, ${describeSupport(release)}: ${reason}`,
      );
      continue;
    }
    for (const component of components) {
      findings.push({
        site: site.name,
        component,
        field: 'kubernetesVersion',
        message:
          `Kubernetes ${version} is outside the range of ${describePin(release)}, ${describeSupport(release)}: ` +
          `move the pin to a release that supports ${version}, or accept it in ${ACCEPTANCES}['${pin}'] with the reason`,
      });
    }
  }
  const pins = new Map(installed.map(({ release }) => [pinOf(release), release]));
  for (const pin of Object.keys(acceptances).sort()) {
    const release = pins.get(pin);
    const field = `${ACCEPTANCES}.${pin}`;
    if (release === undefined) {
      const named = installed.filter(({ release: r }) => pin.startsWith(`${r.name}@`)).map(({ release: r }) => pinOf(r));
      const now = named.length > 0 ? `the pin is now ${named.join(', ')}` : `pins installed: ${[...pins.keys()].sort().join(', ')}`;
      findings.push({
        site: site.name,
        field,
        message: `no component of this site installs ${pin} (${now}): remove the acceptance, or renew it for the new pin`,
      });
    } else if (inRange(release.kubernetes, version)) {
      findings.push({
        site: site.name,
        field,
        message: `${describePin(release)} is ${describeSupport(release)}, which includes ${version}: remove the acceptance`,
      });
    }
  }
  return { findings, accepted };
}
