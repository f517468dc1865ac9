// The optional NetworkPolicy of an instance (the `networkPolicy` option): PostgreSQL (TCP 5432) admits the
// instance's own pods and the peers the user names, and nothing else; egress stays open, so that WAL-G
// reaches its storage (and DNS) whatever the namespace's other policies say. The object is cdk8s-plus-27's
// NetworkPolicy; what it renders from the user's peers is checked here with the rules the API server
// applies at `kubectl apply`, and a peer that would render a rule without sources (which Kubernetes reads
// as "every source") is refused.
import { ApiObject, Chart } from 'cdk8s';
import { INetworkPolicyPeer, k8s, NetworkPolicy, NetworkPolicyPort, NetworkPolicyTrafficDefault, Pods } from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { checkLabelSelector } from './_pod-options';
import { checkCidr, checkDnsLabel, cidrStrictlyWithin, invalid } from './_validation';
import { PostgresNetworkPolicy } from './postgres-options';

/** The fields of PostgresNetworkPolicy: a field it does not have is refused (it would be ignored). */
const FIELDS = ['clients'];
/** The label Kubernetes sets on every namespace to its name, which cdk8s-plus-27 selects names by. */
const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';
const PEER = 'expected a cdk8s-plus-27 network policy peer (INetworkPolicyPeer) such as Pods.select(...), Namespaces.select(...), '
  + 'NetworkPolicyIpBlock.ipv4(...) or a cdk8s-plus workload';

/** The NetworkPolicy's metadata and the pods it protects. */
export interface NetworkPolicyTarget {
  readonly name: string;
  readonly labels: Record<string, string>;
  /** The labels that select the instance's pods: the policy's podSelector and its own-pods peer. */
  readonly selector: Record<string, string>;
  /** The TCP ports admitted: 5432, and the exporter's 9187 with metrics. */
  readonly ports: number[];
}

/**
 * Makes the NetworkPolicy `target.name` when `given` is set: ingress on TCP 5432 from the instance's own
 * pods and from each client, every egress allowed. Returns its name, or undefined when `given` is not set.
 */
export function addNetworkPolicy(scope: Construct, target: NetworkPolicyTarget, given: PostgresNetworkPolicy | undefined): string | undefined {
  if (given === undefined) {
    return undefined;
  }
  const clients = checkClients(scope, given);
  const self = Pods.select(scope, 'NetworkPolicyPods', { labels: target.selector });
  const ports = target.ports.map((port) => NetworkPolicyPort.tcp(port));
  const policy = new NetworkPolicy(scope, 'NetworkPolicy', {
    metadata: { name: target.name, labels: target.labels },
    selector: self,
    egress: { default: NetworkPolicyTrafficDefault.ALLOW },
    ingress: { rules: [self, ...clients].map((peer) => ({ peer, ports })) },
  });
  // One ingress rule per peer, in order: the first is the instance's own pods, then clients[0], ...
  const rules: k8s.NetworkPolicyIngressRule[] = ApiObject.of(policy).toJson().spec.ingress;
  rules.slice(1).forEach((rule, i) => {
    checkRule(scope, `networkPolicy.clients[${i}]`, rule);
    checkNamespace(scope, `networkPolicy.clients[${i}]`, clients[i], rule);
  });
  return target.name;
}

/** The option's struct and its peers, before cdk8s-plus-27 renders them. */
function checkClients(scope: IConstruct, given: PostgresNetworkPolicy): INetworkPolicyPeer[] {
  if (given === null || typeof given !== 'object' || Array.isArray(given)) {
    invalid(scope, 'networkPolicy', given, 'expected a PostgresNetworkPolicy such as { clients: [Pods.select(this, \'api\', { labels: { app: \'api\' } })] }');
  }
  for (const [k, v] of Object.entries(given)) {
    if (!FIELDS.includes(k)) {
      invalid(scope, `networkPolicy.${k}`, v, `expected a field of PostgresNetworkPolicy: ${FIELDS.join(', ')}`);
    }
  }
  const clients: unknown = given.clients;
  if (!Array.isArray(clients)) {
    invalid(scope, 'networkPolicy.clients', clients, 'expected a list of cdk8s-plus-27 network policy peers, such as [Pods.select(this, \'api\', { labels: { app: \'api\' } })]');
  }
  if (clients.length === 0) {
    invalid(scope, 'networkPolicy.clients', clients, 'expected at least one peer: with none, the NetworkPolicy would admit only the instance\'s own pods '
      + 'and no client could connect; leave networkPolicy out to make no NetworkPolicy');
  }
  clients.forEach((peer, i) => checkPeer(scope, `networkPolicy.clients[${i}]`, peer));
  return clients as INetworkPolicyPeer[];
}

function checkPeer(scope: IConstruct, prop: string, peer: unknown): void {
  if (peer === null || typeof peer !== 'object' || typeof (peer as INetworkPolicyPeer).toNetworkPolicyPeerConfig !== 'function') {
    invalid(scope, prop, peer, PEER);
  }
  const config = (peer as INetworkPolicyPeer).toNetworkPolicyPeerConfig();
  if (!config || !config.ipBlock === !config.podSelector) {
    invalid(scope, prop, String(peer), 'expected a peer whose toNetworkPolicyPeerConfig() returns either an ipBlock or a podSelector');
  }
}

/** The namespace of a construct's chart: undefined when it has none (or is not in a chart). */
function chartNamespace(c: IConstruct): string | undefined {
  try {
    return Chart.of(c).namespace;
  } catch {
    return undefined;
  }
}

/**
 * A pod selector without a namespace selector selects pods in the NetworkPolicy's own namespace. A peer
 * made in a chart of another namespace (a Deployment there, or Pods.select() in that chart) would then
 * admit same-labelled pods of the database's namespace, not its own: refused, with what to write instead.
 */
function checkNamespace(scope: IConstruct, prop: string, peer: INetworkPolicyPeer, rule: k8s.NetworkPolicyIngressRule): void {
  if (!Construct.isConstruct(peer) || !(rule.from ?? []).some((f) => f.podSelector !== undefined && f.namespaceSelector === undefined)) {
    return;
  }
  const ours = chartNamespace(scope);
  const theirs = chartNamespace(peer);
  if (theirs !== ours) {
    const where = (ns: string | undefined) => (ns === undefined ? 'a chart without a namespace' : `namespace "${ns}"`);
    invalid(scope, prop, peer.node.path, `expected a peer in the database's ${where(ours)}, or one that names its namespaces: this one is made in ${where(theirs)}, `
      + 'but a pod selector without a namespace selector selects pods of the NetworkPolicy\'s own namespace; use Pods.select(scope, id, { labels, namespaces: '
      + 'Namespaces.select(scope, id, { names: [\'<its namespace>\'] }) })');
  }
}

/** One client's rule as cdk8s-plus-27 rendered it: at least one source, each valid. */
function checkRule(scope: IConstruct, prop: string, rule: k8s.NetworkPolicyIngressRule): void {
  const from = rule.from ?? [];
  if (from.length === 0) {
    invalid(scope, `${prop}.from`, from, 'expected a peer that selects at least one source: Kubernetes reads a rule without sources as '
      + '"every source", so this peer (e.g. Namespaces.select() with names: []) would admit every client');
  }
  for (const f of from) {
    if (f.ipBlock !== undefined) {
      checkIpBlock(scope, `${prop}.ipBlock`, f.ipBlock);
    }
    if (f.podSelector !== undefined) {
      checkLabelSelector(scope, `${prop}.podSelector`, f.podSelector);
    }
    if (f.namespaceSelector !== undefined) {
      checkLabelSelector(scope, `${prop}.namespaceSelector`, f.namespaceSelector);
      const name = f.namespaceSelector.matchLabels?.[NAMESPACE_NAME_LABEL];
      if (name !== undefined) {
        checkDnsLabel(scope, `${prop}.namespaceSelector.matchLabels.${NAMESPACE_NAME_LABEL}`, name);
      }
    }
  }
}

/** A CIDR, and exceptions strictly inside it (the API server refuses any other). */
function checkIpBlock(scope: IConstruct, prop: string, block: k8s.IpBlock): void {
  const cidr = checkCidr(scope, `${prop}.cidr`, block.cidr);
  (block.except ?? []).forEach((e, i) => {
    checkCidr(scope, `${prop}.except[${i}]`, e);
    if (!cidrStrictlyWithin(cidr, e)) {
      invalid(scope, `${prop}.except[${i}]`, e, `expected a CIDR strictly inside the block's cidr "${cidr}" (Kubernetes refuses an exception outside it or equal to it)`);
    }
  });
}
