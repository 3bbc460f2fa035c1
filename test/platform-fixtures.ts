/** Test-only components and a minimal platform around them, for the ingress and policy views. */
import { App } from 'cdk8s';
import type { Construct } from 'constructs';
import { CertManagerComponent } from '../charts/cert-manager/cert-manager';
import { PublicCertificatesComponent } from '../charts/cert-manager/public-certificates';
import { PlatformComponent } from '../charts/component';
import { componentsOf } from '../charts/registry';
import { siteContext, type SiteContext } from '../charts/context';
import type { NamespaceDeclaration } from '../charts/lib/declared';
import { ContourComponent } from '../charts/contour/contour';
import { MetalLbComponent } from '../charts/metallb/metallb';
import { SecretsComponent } from '../charts/secrets/secrets';
import { EDGE, PLATFORM, SITES, type Site } from '../sites';
import { unaffected } from '../charts/lib/resilience';

/** A component that only declares what a test gives it. */
export class TestComponent extends PlatformComponent {
  constructor(scope: Construct, context: SiteContext, name: string, namespace: Partial<NamespaceDeclaration> = {}) {
    super(scope, { name, context, namespace: namespace.name ?? name });
    this.declareFailureBehaviour({ serves: 'a test component', nodeLoss: unaffected('a test component') });
    this.ownNamespace({ name: namespace.name ?? name, podSecurity: 'restricted', ...namespace });
  }

  /** An endpoint of this component: pods `app=<name>-<role>` on the given ports, behind a Service of that name. */
  pods(role: string, ports: number[]) {
    return this.endpoint({
      podLabels: { app: `${this.componentName}-${role}` },
      ports: ports.map((port) => ({ port })),
      serviceName: `${this.componentName}-${role}`,
    });
  }
}

/** The ingress stack of one site, plus whatever `extra` builds, in one App. */
export function testPlatform(site: Site = SITES[0]!, extra: (app: App, context: SiteContext) => void = () => undefined) {
  const app = new App({ outdir: 'dist/test-cdk8s' });
  const context = siteContext(site, PLATFORM);
  const secrets = new SecretsComponent(app, context);
  const metallb = new MetalLbComponent(app, context);
  const certManager = new CertManagerComponent(app, context, { secrets });
  const certificates = new PublicCertificatesComponent(app, context, { secrets, certManager });
  const ingress = new ContourComponent(app, context, { metallb, edge: EDGE });
  extra(app, context);
  return {
    app,
    context,
    ingress,
    certificates,
    metallb,
    components: () => componentsOf(app),
    declared: () => componentsOf(app).map((c) => c.describe()),
  };
}

/** The objects a component rendered, as plain JSON. */
export function objectsOf(component: PlatformComponent): Record<string, unknown>[] {
  return component.toJson() as Record<string, unknown>[];
}
