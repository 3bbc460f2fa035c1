/**
 * The network-policy view: every namespace we own gets default-deny ingress and egress, DNS, and
 * explicit allows derived from the components' declarations (never listed by hand):
 * - `talksTo` flows: egress on the client's pods, ingress on the server's pods;
 * - `talksOutside`: ipBlock rules (the other site, the edge proxy, external services);
 * - `usesApiServer`: egress to the API server;
 * - `exposeHttp`: ingress from Envoy to the backend, egress from Envoy to it;
 * - `exposeMetrics`: ingress from the monitoring namespace on the metrics port.
 * A side whose namespace is not ours (an upstream chart's namespace, declared `upstreamChart`)
 * gets no rule: its namespace has no default-deny to open. Policies are rendered into the
 * directory of the component owning the namespace.
 */
import { k8s } from 'cdk8s-plus-28';
import { PlatformError } from '../../model/errors';
import type { Site } from '../../sites';
import type { PlatformComponent } from '../component';
import type { Endpoint, PortSpec } from '../lib/declarations';
import { commonLabels } from '../lib/labels';

/** Namespace of the monitoring stack, allowed to scrape declared metrics ports. */
export const MONITORING_NAMESPACE = 'monitoring';
const NAMESPACE_LABEL = 'kubernetes.io/metadata.name';

type Rule = k8s.NetworkPolicyIngressRule | k8s.NetworkPolicyEgressRule;

/** The rules of one group of pods (one pod selector in one namespace). */
interface PodRules {
  readonly owner: PlatformComponent;
  readonly namespace: string;
  readonly podLabels: Readonly<Record<string, string>>;
  readonly ingress: Map<string, k8s.NetworkPolicyIngressRule>;
  readonly egress: Map<string, k8s.NetworkPolicyEgressRule>;
  readonly reasons: Set<string>;
}

function ports(list: readonly PortSpec[]): k8s.NetworkPolicyPort[] {
  return list.map((p) => ({ port: k8s.IntOrString.fromNumber(p.port), protocol: p.protocol ?? 'TCP' }));
}

function peerOf(endpoint: Endpoint): k8s.NetworkPolicyPeer {
  return {
    namespaceSelector: { matchLabels: { [NAMESPACE_LABEL]: endpoint.namespace } },
    podSelector: { matchLabels: { ...endpoint.podLabels } },
  };
}

function selectorKey(namespace: string, labels: Readonly<Record<string, string>>): string {
  return `${namespace}|${Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',')}`;
}

/** Labels that name a group of pods (the first one set is used). */
const NAME_LABELS = ['app.kubernetes.io/name', 'app', 'k8s-app'];
/** The part of an application a group of pods is (Contour's `envoy`, our `postgres`). */
const COMPONENT_LABEL = 'app.kubernetes.io/component';
/** Longest name the API server accepts for a NetworkPolicy (a DNS subdomain label here: 63). */
const MAX_NAME = 63;

const slug = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');

/**
 * A readable, stable name for a pod selector: the pods' name label (`postgres-keeper`), with
 * their component when the name does not already say it (`contour-envoy`); a selector without a
 * name label falls back to its distinct label values.
 */
function selectorName(labels: Readonly<Record<string, string>>): string {
  const name = NAME_LABELS.map((k) => labels[k]).find((v): v is string => v !== undefined);
  const component = labels[COMPONENT_LABEL];
  if (name === undefined)
    return slug(
      [
        ...new Set(
          Object.keys(labels)
            .sort()
            .map((k) => labels[k]!),
        ),
      ].join('-'),
    );
  if (component === undefined || name.includes(component)) return slug(name);
  return slug(component.includes(name) ? component : `${name}-${component}`);
}

/**
 * Addresses behind the API server. NetworkPolicies are enforced after kube-proxy has DNAT'ed the
 * `kubernetes` Service's ClusterIP to its endpoints, so the rule must name the endpoints, not the
 * ClusterIP: each control-plane node's own address (the kube-apiserver advertise address listed in
 * the Endpoints) and the site's API address (a VIP or load balancer in front of them).
 */
export function apiServerCidrs(site: Site): string[] {
  const addresses = [site.network.apiServer.address, ...site.nodes.filter((n) => n.controlPlane).map((n) => n.address)];
  return [...new Set(addresses)].sort().map((a) => `${a}/32`);
}

/**
 * Where the API server's own calls to pods (admission webhooks, aggregated APIs) come from: the
 * control-plane nodes, and with an overlay CNI (Calico IPIP/VXLAN, Kubespray's default) the
 * node's tunnel address, which is taken from the pod network.
 */
export function apiServerCallerCidrs(site: Site): string[] {
  return [...site.nodes.filter((n) => n.controlPlane).map((n) => `${n.address}/32`), site.network.podCidr];
}

/** Renders the NetworkPolicies of every namespace the components own (see the file comment). */
export function renderNetworkPolicies(
  components: readonly PlatformComponent[],
  props: { readonly site: Site; readonly ingress?: Endpoint },
): void {
  const owners = new Map<string, PlatformComponent>();
  for (const component of components) {
    for (const ns of component.namespaces) if (!ns.upstreamChart) owners.set(ns.name, component);
  }
  const groups = new Map<string, PodRules>();
  const rulesOf = (endpoint: Endpoint): PodRules | undefined => {
    const owner = owners.get(endpoint.namespace);
    if (!owner) return undefined;
    const key = selectorKey(endpoint.namespace, endpoint.podLabels);
    let group = groups.get(key);
    if (!group) {
      group = {
        owner,
        namespace: endpoint.namespace,
        podLabels: endpoint.podLabels,
        ingress: new Map(),
        egress: new Map(),
        reasons: new Set(),
      };
      groups.set(key, group);
    }
    return group;
  };
  const add = (endpoint: Endpoint, direction: 'ingress' | 'egress', rule: Rule, reason: string): void => {
    const group = rulesOf(endpoint);
    if (!group) return;
    const map = direction === 'ingress' ? group.ingress : group.egress;
    map.set(JSON.stringify(rule), rule);
    group.reasons.add(reason);
  };
  const ingressFrom = (to: Endpoint, from: k8s.NetworkPolicyPeer[], p: readonly PortSpec[], reason: string): void =>
    add(to, 'ingress', { from, ports: ports(p) }, reason);
  const egressTo = (from: Endpoint, to: k8s.NetworkPolicyPeer[], p: readonly PortSpec[], reason: string): void =>
    add(from, 'egress', { to, ports: ports(p) }, reason);

  for (const component of components) {
    const d = component.declarations;
    for (const flow of d.flows) {
      const p = flow.ports ?? flow.to.ports;
      const what = `${selectorName(flow.from.podLabels)} -> ${selectorName(flow.to.podLabels)} (${p.map((x) => x.port).join(',')})`;
      egressTo(flow.from, [peerOf(flow.to)], p, `flow ${what}`);
      ingressFrom(flow.to, [peerOf(flow.from)], p, `flow ${what}`);
    }
    for (const flow of d.externalFlows) {
      const peers = flow.cidrs.map((cidr) => ({ ipBlock: { cidr } }));
      if (flow.direction === 'egress') egressTo(flow.pods, peers, flow.ports, flow.reason);
      else ingressFrom(flow.pods, peers, flow.ports, flow.reason);
    }
    for (const pods of d.apiServerClients) {
      const peers = apiServerCidrs(props.site).map((cidr) => ({ ipBlock: { cidr } }));
      egressTo(pods, peers, [{ port: props.site.network.apiServer.port }], 'Kubernetes API server');
    }
    for (const route of d.routes) {
      if (!props.ingress) continue;
      // Policies match pod ports; the route names a Service port. Use the pod port it maps to
      // (targetPort, or the same number), or the backend's only port; never every port.
      const wanted = route.targetPort ?? route.port;
      const match = route.backend.ports.filter((p) => p.port === wanted);
      if (match.length === 0 && route.backend.ports.length !== 1) {
        throw new PlatformError([
          {
            site: props.site.name,
            component: component.componentName,
            object: `route ${route.host}${route.pathPrefix}`,
            field: 'targetPort',
            message: `pod port ${wanted} is not one of the backend's (${route.backend.ports.map((p) => p.port).join(', ')}); set targetPort`,
          },
        ]);
      }
      const p = match.length > 0 ? match : route.backend.ports;
      const reason = `route ${route.host}${route.pathPrefix} (${component.componentName})`;
      ingressFrom(route.backend, [peerOf(props.ingress)], p, reason);
      egressTo(props.ingress, [peerOf(route.backend)], p, reason);
    }
    for (const metrics of d.metrics) {
      ingressFrom(
        metrics.pods,
        [{ namespaceSelector: { matchLabels: { [NAMESPACE_LABEL]: MONITORING_NAMESPACE } } }],
        [{ port: metrics.port }],
        `metrics scraped from namespace ${MONITORING_NAMESPACE}`,
      );
    }
  }

  const namespaces = [...owners.keys()].sort();
  for (const namespace of namespaces) {
    const owner = owners.get(namespace)!;
    const labels = commonLabels(owner.componentName);
    new k8s.KubeNetworkPolicy(owner, `netpol-${namespace}-default-deny`, {
      metadata: {
        name: 'default-deny',
        namespace,
        labels,
        annotations: { 'platform.chataik.fr/reason': 'nothing in or out unless a declared flow allows it' },
      },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    });
    const { dns } = props.site.network;
    new k8s.KubeNetworkPolicy(owner, `netpol-${namespace}-allow-dns`, {
      metadata: {
        name: 'allow-dns',
        namespace,
        labels,
        annotations: { 'platform.chataik.fr/reason': 'name resolution through the node-local cache and kube-dns' },
      },
      spec: {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [
          {
            to: [
              {
                namespaceSelector: { matchLabels: { [NAMESPACE_LABEL]: 'kube-system' } },
                podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
              },
              // The Service address (before kube-proxy's DNAT, as some CNIs see it) and the
              // node-local cache, a host-network listener no pod selector matches.
              ...[dns.clusterAddress, ...(dns.nodeLocalAddress ? [dns.nodeLocalAddress] : [])].map((a) => ({
                ipBlock: { cidr: `${a}/32` },
              })),
            ],
            ports: ports([{ port: 53, protocol: 'UDP' }, { port: 53 }]),
          },
        ],
      },
    });
  }
  const sorted = [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const names = new Map<string, string>();
  for (const [key, group] of sorted) {
    const name = `allow-${selectorName(group.podLabels)}`;
    if (name.length > MAX_NAME) {
      throw new PlatformError([
        {
          site: props.site.name,
          component: group.owner.componentName,
          object: `NetworkPolicy/${group.namespace}/${name}`,
          message: `the NetworkPolicy name of pod selector ${key} is longer than ${MAX_NAME} characters; give the pods a shorter app.kubernetes.io/name`,
        },
      ]);
    }
    const clash = names.get(`${group.namespace}/${name}`);
    if (clash !== undefined) {
      throw new PlatformError([
        {
          site: props.site.name,
          component: group.owner.componentName,
          object: `NetworkPolicy/${group.namespace}/${name}`,
          message: `pod selectors ${clash} and ${key} give the same NetworkPolicy name; make their pod labels differ`,
        },
      ]);
    }
    names.set(`${group.namespace}/${name}`, key);
    const policyTypes = [...(group.ingress.size > 0 ? ['Ingress'] : []), ...(group.egress.size > 0 ? ['Egress'] : [])];
    new k8s.KubeNetworkPolicy(group.owner, `netpol-${group.namespace}-${name}`, {
      metadata: {
        name,
        namespace: group.namespace,
        labels: commonLabels(group.owner.componentName),
        annotations: { 'platform.chataik.fr/reason': [...group.reasons].sort().join('; ') },
      },
      spec: {
        podSelector: { matchLabels: { ...group.podLabels } },
        policyTypes,
        ...(group.ingress.size > 0 ? { ingress: [...group.ingress.values()] } : {}),
        ...(group.egress.size > 0 ? { egress: [...group.egress.values()] } : {}),
      },
    });
  }
}
