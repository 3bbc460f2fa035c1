/**
 * This site's end of the cross-site bus link: the TLS certificate from the platform CA, the leaf
 * users (hub) or the remote (leaf), the link's network flows, and the facts both ends state for
 * the cross-site check. The link itself (address, port, user, Vault path) comes from link.ts, what
 * crosses it from link-subjects.ts: both pure functions of the model, so both ends agree.
 */
import type { k8s } from 'cdk8s-plus-28';
import type { InternalCa } from '../cert-manager/internal-ca';
import { TLS_FILES } from '../cert-manager/internal-ca';
import type { PlatformComponent } from '../component';
import type { Endpoint } from '../lib/declarations';
import { reloadOnChange } from '../lib/tls-reload';
import type { VaultKey } from '../secrets/secrets';
import type { ConfTls, ConfUser, ServerConfigInput } from './config';
import { CONFIG_DIR, NAMESPACE, PORTS, RUN_DIR, STATEFULSET } from './constants';
import { hubHostPort, type BusLink } from './link';
import type { LinkFilter } from './link-subjects';

/** Where the link's certificate, key and the platform CA are mounted in the nats container. */
export const TLS_DIR = `${CONFIG_DIR}/tls`;
/** Env var the leaf servers read the hub URL (with the leaf password inside) from. */
const LEAF_URL_ENV = 'NATS_LEAF_URL';
const TLS_VOLUME = 'link-tls';

/** A password the bus renders as an env var from a Vault-backed Secret. */
export interface LinkPassword {
  readonly env: string;
  readonly key: VaultKey;
  readonly secretName: string;
}

/** `NATS_<PARTS>` in the form env var names take. */
export function envName(...parts: string[]): string {
  return ['NATS', ...parts]
    .join('_')
    .toUpperCase()
    .replace(/[^A-Z0-9_]/g, '_');
}

export class LinkEnd {
  /** Whether this site listens for the other sites' leaf connections. */
  readonly isHub: boolean;
  /** Certificate files as the server reads them. */
  readonly tls: ConfTls = {
    certFile: `${TLS_DIR}/${TLS_FILES.certificate}`,
    keyFile: `${TLS_DIR}/${TLS_FILES.key}`,
    caFile: `${TLS_DIR}/${TLS_FILES.ca}`,
  };
  /** The Secret cert-manager keeps the link's certificate in (none without a link). */
  readonly certificateSecret?: string;
  /** The agreements stated for the cross-site check, completed as clients declare (see refresh). */
  private readonly agreements: Record<string, string | number | boolean>[] = [];

  constructor(
    private readonly owner: PlatformComponent,
    readonly links: readonly BusLink[],
    private readonly pods: Endpoint,
    internalCa: InternalCa,
  ) {
    this.isHub = owner.site.bus.role === 'hub';
    if (links.length === 0) return;
    const hubAddress = links[0]!.hubAddress;
    // The leaf dials the hub's fixed address, so the hub's certificate names it; a leaf's
    // certificate is a client certificate the hub requires (`verify`).
    this.certificateSecret = internalCa.certificate(owner, {
      name: `${STATEFULSET}-link-tls`,
      namespace: NAMESPACE,
      commonName: this.isHub ? hubAddress : `leaf-${owner.site.name}`,
      ipAddresses: this.isHub ? [hubAddress] : undefined,
      usages: this.isHub ? ['server'] : ['client'],
    });
    this.declareFlows();
  }

  /** Passwords of the link: one per leaf user on the hub, the dialer's own on a leaf. */
  passwords(): LinkPassword[] {
    return this.links.map((link) => ({
      env: this.passwordEnv(link),
      key: link.password,
      secretName: `bus-leaf-${link.leafSite}`,
    }));
  }

  /** Hub: the leaf sites' users, allowed only as leafnode connections, with the link filter. */
  leafUsers(filter: LinkFilter): ConfUser[] {
    if (!this.isHub) return [];
    return this.links.map((link) => ({
      user: link.user,
      passwordEnv: this.passwordEnv(link),
      connectionType: 'LEAFNODE',
      permissions: filter.hubLeafUser,
    }));
  }

  /** The `leafListen` / `leafRemote` part of the server configuration. */
  config(filter: LinkFilter): Pick<ServerConfigInput, 'leafListen' | 'leafRemote'> {
    const link = this.links[0];
    if (!link) return {};
    // The hub advertises its fixed address, the one the leaf dials (see ServerConfigInput.leafListen).
    if (this.isHub) return { leafListen: { tls: this.tls, advertise: hubHostPort(link) } };
    return {
      leafRemote: {
        urlEnv: LEAF_URL_ENV,
        account: link.account,
        tls: this.tls,
        denyImports: filter.leafRemote.denyImports,
        denyExports: filter.leafRemote.denyExports,
      },
    };
  }

  /** Leaf: the hub's URL, composed by the kubelet from the password variable (never in git). */
  env(): k8s.EnvVar[] {
    const link = this.links[0];
    if (this.isHub || !link) return [];
    // Leafnode remotes take credentials only inside the URL, so Vault passwords for bus users
    // must be URL-safe (letters and digits).
    return [{ name: LEAF_URL_ENV, value: `nats-leaf://${link.user}:$(${this.passwordEnv(link)})@${hubHostPort(link)}` }];
  }

  /** Shell lines reloading nats-server when cert-manager renews the link's certificate. */
  reloadScript(): string[] {
    if (!this.certificateSecret) return [];
    const { certFile, keyFile, caFile } = this.tls;
    return reloadOnChange([certFile, keyFile, caFile], `nats-server --signal reload=${RUN_DIR}/nats.pid`);
  }

  volumes(): k8s.Volume[] {
    if (!this.certificateSecret) return [];
    return [{ name: TLS_VOLUME, secret: { secretName: this.certificateSecret, defaultMode: 0o440 } }];
  }

  mounts(): k8s.VolumeMount[] {
    return this.certificateSecret ? [{ name: TLS_VOLUME, mountPath: TLS_DIR, readOnly: true }] : [];
  }

  /**
   * States this end of each link for the cross-site check, from the configuration the servers run:
   * the hub the address it listens on (`listenAddress`) and the account of its leaf users, a leaf
   * what its remote dials and as whom.
   */
  stateEnd(config: ServerConfigInput, domain: string, listenAddress?: string): void {
    if (this.isHub) {
      if (listenAddress === undefined) return;
      const leafAccount = config.accounts.find((a) => a.users.some((u) => u.connectionType === 'LEAFNODE'));
      this.stateFacts(listenAddress, domain, leafAccount?.name ?? '');
      return;
    }
    const hubLink = this.links[0];
    if (hubLink && config.leafRemote) this.stateFacts(hubLink.hubAddress, hubLink.hubDomain, config.leafRemote.account);
  }

  /** States one end of each link (address, account, user, domain, credentials). */
  private stateFacts(address: string, domain: string, account: string): void {
    for (const link of this.links) {
      if (!this.isHub && link.leafSite !== this.owner.site.name) continue;
      const agree: Record<string, string | number | boolean> = {
        address,
        port: this.isHub ? PORTS.leafnodes : link.port,
        account,
        user: link.user,
        domain,
        credentials: `${link.password.path}#${link.password.property}`,
      };
      this.agreements.push(agree);
      this.owner.stateCrossSiteFact({
        key: `bus-link:${link.hubSite}/${link.leafSite}`,
        role: this.isHub ? 'listener' : 'remote',
        agree,
        expect: { listener: 1, remote: 1 },
      });
    }
  }

  /**
   * Adds what crosses the link to the stated facts: both ends must let through the same subjects.
   * Clients declare after the bus is built, so the facts are completed as they do, before anything
   * is rendered. What never crosses is each end's own (its site's streams) and is not compared.
   */
  refresh(filter: LinkFilter): void {
    for (const agree of this.agreements) agree.crossing = filter.crossing.join(' ');
  }

  private passwordEnv(link: BusLink): string {
    return this.isHub ? envName('LEAF', link.leafSite, 'PASSWORD') : envName('LEAF', 'PASSWORD');
  }

  private declareFlows(): void {
    const leafPort = [{ port: PORTS.leafnodes, name: 'leafnodes' }];
    for (const link of this.links) {
      if (this.isHub) {
        this.owner.talksOutside({
          pods: this.pods,
          direction: 'ingress',
          cidrs: link.leafSourceAddresses.map((a) => `${a}/32`),
          ports: leafPort,
          reason: `leafnode link from site ${link.leafSite} (its nodes' addresses: pods are SNATed when leaving the site)`,
        });
      } else {
        this.owner.talksOutside({
          pods: this.pods,
          direction: 'egress',
          cidrs: [`${link.hubAddress}/32`],
          ports: leafPort,
          reason: `leafnode link to the bus hub at site ${link.hubSite}`,
        });
      }
    }
  }
}
