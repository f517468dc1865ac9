// The pod options that do not change what the pod runs: where it is scheduled, its and the client
// Service's metadata, how the client Service is exposed, the Secrets its images are pulled with, and the
// checksum that rolls it when its ConfigMap changes. Each is checked here at synth time, with the
// rules the Kubernetes API server would apply at `kubectl apply` (and a few it leaves to the user).
import { createHash } from 'crypto';
import { k8s, ServiceType } from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import {
  checkCidr, checkDnsLabel, checkDnsSubdomain, checkLabelKey, checkLabelValue, checkNonNegativeInteger, checkPositiveInteger, checkQuantity, invalid,
  isQualifiedName,
} from './_validation';
import { ExternalTrafficPolicy, PostgresInstanceOptions, PostgresResources } from './postgres-options';

/** The prefix of the library's own annotations: refused in the user's. */
export const LIBRARY_PREFIX = 'cdk8s-postgres-walg/';
/** The pod-template annotation that holds the sha256 of the ConfigMap's data. */
export const CONFIG_CHECKSUM_ANNOTATION = `${LIBRARY_PREFIX}config-checksum`;

/** The checked fields of the pod spec that the options set (undefined when not given). */
export interface PodScheduling {
  readonly nodeSelector?: Record<string, string>;
  readonly tolerations?: k8s.Toleration[];
  readonly affinity?: k8s.Affinity;
  readonly topologySpreadConstraints?: k8s.TopologySpreadConstraint[];
  readonly priorityClassName?: string;
  readonly imagePullSecrets?: k8s.LocalObjectReference[];
}

/** The checked settings of the client Service. */
export interface ClientService {
  readonly type: string;
  readonly annotations?: Record<string, string>;
  readonly loadBalancerSourceRanges?: string[];
  readonly externalTrafficPolicy?: string;
}

/** The checked pod options. */
export interface PodOptions {
  readonly scheduling: PodScheduling;
  readonly podAnnotations?: Record<string, string>;
  readonly service: ClientService;
}

const TOPOLOGY_KEY = 'expected a node label key such as "topology.kubernetes.io/zone" or "kubernetes.io/hostname"';
const ANNOTATION_KEY = 'expected a Kubernetes annotation key (a qualified name) such as "example.com/owner": an optional DNS subdomain prefix and "/", '
  + 'then at most 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit';
const NODE_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'];
const LABEL_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];
const CLIENT_SERVICE_TYPES: string[] = [ServiceType.CLUSTER_IP, ServiceType.NODE_PORT, ServiceType.LOAD_BALANCER];

/** Checks every pod option of the instance's props. */
export function checkPodOptions(scope: IConstruct, o: PostgresInstanceOptions): PodOptions {
  return {
    scheduling: {
      nodeSelector: checkNodeSelector(scope, o.nodeSelector),
      tolerations: list(scope, 'tolerations', o.tolerations, 'expected a list of k8s.Toleration', checkToleration),
      affinity: o.affinity === undefined ? undefined : checkAffinity(scope, 'affinity', o.affinity),
      topologySpreadConstraints: checkSpreads(scope, o.topologySpreadConstraints),
      priorityClassName: o.priorityClassName === undefined ? undefined : checkPriorityClassName(scope, o.priorityClassName),
      imagePullSecrets: checkPullSecrets(scope, o.imagePullSecrets),
    },
    podAnnotations: checkAnnotations(scope, 'podAnnotations', o.podAnnotations),
    service: checkClientService(scope, o),
  };
}

/**
 * The sha256 (hex) of a ConfigMap's data as canonical JSON: one object, keys sorted, no spaces. The
 * same data gives the same checksum on every machine and run.
 */
export function configChecksum(data: Record<string, string>): string {
  // Hashed piece by piece: the same bytes as the whole canonical text, without building it.
  const hash = createHash('sha256').update('{');
  Object.keys(data).sort().forEach((k, i) => {
    hash.update(`${i > 0 ? ',' : ''}${JSON.stringify(k)}:`, 'utf8');
    hash.update(jsonOf(data[k]));
  });
  return hash.update('}').digest('hex');
}

/** Values this long are the pod scripts, the same in every instance: their JSON is encoded once per text. */
const LONG_VALUE = 1024;
const LONG_VALUES = new Map<string, Buffer>();

/** A value as JSON, UTF-8 encoded. */
function jsonOf(value: string): Buffer | string {
  if (value.length < LONG_VALUE) {
    return JSON.stringify(value);
  }
  let json = LONG_VALUES.get(value);
  if (json === undefined) {
    // A few texts at a time (the scripts, lib.sh per set of storages); a bound all the same.
    if (LONG_VALUES.size >= 64) LONG_VALUES.clear();
    json = Buffer.from(JSON.stringify(value), 'utf8');
    LONG_VALUES.set(value, json);
  }
  return json;
}

/** A list option: undefined, or an array whose items `check` accepts; an empty list is left out. */
function list<T>(
  scope: IConstruct, prop: string, value: T[] | undefined, expected: string, check: (s: IConstruct, p: string, item: T) => void,
): T[] | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (!Array.isArray(value)) {
    invalid(scope, prop, value, expected);
  }
  value.forEach((item, i) => check(scope, `${prop}[${i}]`, item));
  return value.length > 0 ? value : undefined;
}

/** `"A", "B" or "C"`. */
function quoted(values: string[]): string {
  const q = values.map((v) => JSON.stringify(v));
  return q.length === 1 ? q[0] : `${q.slice(0, -1).join(', ')} or ${q[q.length - 1]}`;
}

function oneOf(scope: IConstruct, prop: string, value: unknown, allowed: string[], expected = `expected ${quoted(allowed)}`): string {
  if (typeof value !== 'string' || !allowed.includes(value)) {
    invalid(scope, prop, value, expected);
  }
  return value;
}

/** The fields of each Kubernetes struct the options take (cdk8s-plus-27's k8s namespace, Kubernetes 1.27). */
export const FIELDS: Record<string, string[]> = {
  'k8s.Toleration': ['effect', 'key', 'operator', 'tolerationSeconds', 'value'],
  'k8s.Affinity': ['nodeAffinity', 'podAffinity', 'podAntiAffinity'],
  'k8s.NodeAffinity': ['preferredDuringSchedulingIgnoredDuringExecution', 'requiredDuringSchedulingIgnoredDuringExecution'],
  'k8s.NodeSelector': ['nodeSelectorTerms'],
  'k8s.PreferredSchedulingTerm': ['preference', 'weight'],
  'k8s.NodeSelectorTerm': ['matchExpressions', 'matchFields'],
  'k8s.NodeSelectorRequirement': ['key', 'operator', 'values'],
  'k8s.PodAffinity': ['preferredDuringSchedulingIgnoredDuringExecution', 'requiredDuringSchedulingIgnoredDuringExecution'],
  'k8s.PodAntiAffinity': ['preferredDuringSchedulingIgnoredDuringExecution', 'requiredDuringSchedulingIgnoredDuringExecution'],
  'k8s.WeightedPodAffinityTerm': ['podAffinityTerm', 'weight'],
  'k8s.PodAffinityTerm': ['labelSelector', 'namespaceSelector', 'namespaces', 'topologyKey'],
  'k8s.LabelSelector': ['matchExpressions', 'matchLabels'],
  'k8s.LabelSelectorRequirement': ['key', 'operator', 'values'],
  'k8s.TopologySpreadConstraint': [
    'labelSelector', 'matchLabelKeys', 'maxSkew', 'minDomains', 'nodeAffinityPolicy', 'nodeTaintsPolicy', 'topologyKey', 'whenUnsatisfiable',
  ],
};

/**
 * A struct of the Kubernetes API: an object with only the struct's fields. cdk8s drops a field it does not
 * know when it renders the manifest, so a misspelt one (possible from JavaScript) would vanish unnoticed.
 */
function checkStruct(scope: IConstruct, prop: string, value: unknown, struct: string): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    invalid(scope, prop, value, `expected a ${struct}`);
  }
  for (const [k, v] of Object.entries(value)) {
    if (!FIELDS[struct].includes(k)) {
      invalid(scope, `${prop}.${k}`, v, `expected a field of ${struct}: ${FIELDS[struct].join(', ')}`);
    }
  }
}

/** Plain objects only (not arrays, not null). */
function checkObject(scope: IConstruct, prop: string, value: unknown, expected: string): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    invalid(scope, prop, value, expected);
  }
}

function checkNodeSelector(scope: IConstruct, given: Record<string, string> | undefined): Record<string, string> | undefined {
  if (given === undefined) {
    return undefined;
  }
  checkObject(scope, 'nodeSelector', given, 'expected an object of node label keys and values');
  for (const [k, v] of Object.entries(given)) {
    checkLabelKey(scope, 'nodeSelector', k);
    checkLabelValue(scope, `nodeSelector.${k}`, v);
  }
  return Object.keys(given).length > 0 ? { ...given } : undefined;
}

/** A toleration as the API server checks it, and tolerationSeconds only where it means something. */
function checkToleration(scope: IConstruct, prop: string, t: k8s.Toleration): void {
  checkStruct(scope, prop, t, 'k8s.Toleration');
  const operator = t.operator === undefined ? 'Equal' : oneOf(scope, `${prop}.operator`, t.operator, ['Equal', 'Exists']);
  if (t.effect !== undefined) {
    oneOf(scope, `${prop}.effect`, t.effect, ['NoSchedule', 'PreferNoSchedule', 'NoExecute'], 'expected "NoSchedule", "PreferNoSchedule" or "NoExecute" (or none: every effect)');
  }
  if (t.key !== undefined && t.key !== '') {
    checkLabelKey(scope, `${prop}.key`, t.key, 'expected a taint key such as "dedicated" or "example.com/dedicated"');
  } else if (operator === 'Equal') {
    invalid(scope, `${prop}.key`, t.key, 'expected a taint key with operator "Equal" (only "Exists" may leave it out, to tolerate every taint)');
  }
  if (operator === 'Exists' && t.value !== undefined && t.value !== '') {
    invalid(scope, `${prop}.value`, t.value, 'expected no value with operator "Exists"');
  }
  if (operator === 'Equal' && t.value !== undefined) {
    checkLabelValue(scope, `${prop}.value`, t.value);
  }
  if (t.tolerationSeconds !== undefined) {
    checkNonNegativeInteger(scope, `${prop}.tolerationSeconds`, t.tolerationSeconds);
    if (t.effect !== 'NoExecute') {
      invalid(scope, `${prop}.tolerationSeconds`, t.tolerationSeconds, 'expected effect "NoExecute" with tolerationSeconds (only a NoExecute taint evicts a running pod)');
    }
  }
}

function checkAffinity(scope: IConstruct, prop: string, a: k8s.Affinity): k8s.Affinity {
  checkStruct(scope, prop, a, 'k8s.Affinity');
  if (a.nodeAffinity !== undefined) {
    checkNodeAffinity(scope, `${prop}.nodeAffinity`, a.nodeAffinity);
  }
  for (const kind of ['podAffinity', 'podAntiAffinity'] as const) {
    const pa = a[kind];
    if (pa !== undefined) {
      checkStruct(scope, `${prop}.${kind}`, pa, kind === 'podAffinity' ? 'k8s.PodAffinity' : 'k8s.PodAntiAffinity');
      list(scope, `${prop}.${kind}.requiredDuringSchedulingIgnoredDuringExecution`, pa.requiredDuringSchedulingIgnoredDuringExecution, 'expected a list of k8s.PodAffinityTerm', checkPodTerm);
      list(scope, `${prop}.${kind}.preferredDuringSchedulingIgnoredDuringExecution`, pa.preferredDuringSchedulingIgnoredDuringExecution, 'expected a list of k8s.WeightedPodAffinityTerm', (s, p, w) => {
        checkStruct(s, p, w, 'k8s.WeightedPodAffinityTerm');
        checkPositiveInteger(s, `${p}.weight`, w.weight, 100);
        checkPodTerm(s, `${p}.podAffinityTerm`, w.podAffinityTerm);
      });
    }
  }
  return a;
}

function checkNodeAffinity(scope: IConstruct, prop: string, na: k8s.NodeAffinity): void {
  checkStruct(scope, prop, na, 'k8s.NodeAffinity');
  const required = na.requiredDuringSchedulingIgnoredDuringExecution;
  if (required !== undefined) {
    checkStruct(scope, `${prop}.requiredDuringSchedulingIgnoredDuringExecution`, required, 'k8s.NodeSelector');
    const p = `${prop}.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms`;
    const terms = required.nodeSelectorTerms;
    if (!Array.isArray(terms) || terms.length === 0) {
      invalid(scope, p, terms, 'expected at least one node selector term (a node matches if it matches any term)');
    }
    terms.forEach((t, i) => checkNodeTerm(scope, `${p}[${i}]`, t));
  }
  list(scope, `${prop}.preferredDuringSchedulingIgnoredDuringExecution`, na.preferredDuringSchedulingIgnoredDuringExecution, 'expected a list of k8s.PreferredSchedulingTerm', (s, p, w) => {
    checkStruct(s, p, w, 'k8s.PreferredSchedulingTerm');
    checkPositiveInteger(s, `${p}.weight`, w.weight, 100);
    checkNodeTerm(s, `${p}.preference`, w.preference);
  });
}

/** A node selector term: its requirements are ANDed; an empty term matches no node. */
function checkNodeTerm(scope: IConstruct, prop: string, t: k8s.NodeSelectorTerm): void {
  checkStruct(scope, prop, t, 'k8s.NodeSelectorTerm');
  const expressions = list(scope, `${prop}.matchExpressions`, t.matchExpressions, 'expected a list of k8s.NodeSelectorRequirement', (s, p, r) => checkRequirement(s, p, r, NODE_OPERATORS, 'k8s.NodeSelectorRequirement'));
  const fields = list(scope, `${prop}.matchFields`, t.matchFields, 'expected a list of k8s.NodeSelectorRequirement', checkFieldRequirement);
  if (!expressions && !fields) {
    invalid(scope, prop, t, 'expected a term with at least one requirement in matchExpressions or matchFields (an empty term matches no node)');
  }
}

/** A requirement on labels (of nodes, pods or namespaces): a label key, a known operator and the values it takes. */
function checkRequirement(
  scope: IConstruct, prop: string, r: k8s.NodeSelectorRequirement | k8s.LabelSelectorRequirement, operators: string[], struct: string,
): void {
  checkStruct(scope, prop, r, struct);
  checkLabelKey(scope, `${prop}.key`, r.key);
  const operator = oneOf(scope, `${prop}.operator`, r.operator, operators, `expected one of ${operators.join(', ')}`);
  const values = r.values ?? [];
  if (!Array.isArray(values)) {
    invalid(scope, `${prop}.values`, r.values, 'expected a list of strings');
  }
  if (['In', 'NotIn'].includes(operator)) {
    if (values.length === 0) {
      invalid(scope, `${prop}.values`, r.values, `expected at least one value with operator "${operator}"`);
    }
    values.forEach((v, i) => checkLabelValue(scope, `${prop}.values[${i}]`, v));
  } else if (['Exists', 'DoesNotExist'].includes(operator) && values.length > 0) {
    invalid(scope, `${prop}.values`, r.values, `expected no values with operator "${operator}"`);
  } else if (['Gt', 'Lt'].includes(operator) && (values.length !== 1 || !/^-?[0-9]{1,18}$/.test(values[0]))) {
    invalid(scope, `${prop}.values`, r.values, `expected one whole number as a string, such as ["3"], with operator "${operator}"`);
  }
}

/** A node field requirement: Kubernetes only matches metadata.name, with In or NotIn and one node name. */
function checkFieldRequirement(scope: IConstruct, prop: string, r: k8s.NodeSelectorRequirement): void {
  checkStruct(scope, prop, r, 'k8s.NodeSelectorRequirement');
  if (r.key !== 'metadata.name') {
    invalid(scope, `${prop}.key`, r.key, 'expected "metadata.name" (the only node field a selector can match)');
  }
  const operator = oneOf(scope, `${prop}.operator`, r.operator, ['In', 'NotIn']);
  if (!Array.isArray(r.values) || r.values.length !== 1) {
    invalid(scope, `${prop}.values`, r.values, `expected exactly one node name with operator "${operator}"`);
  }
  checkDnsSubdomain(scope, `${prop}.values[0]`, r.values[0]);
}

/** A pod (anti-)affinity term: the pods its selector selects, in a topology domain. */
function checkPodTerm(scope: IConstruct, prop: string, t: k8s.PodAffinityTerm): void {
  checkStruct(scope, prop, t, 'k8s.PodAffinityTerm');
  checkLabelKey(scope, `${prop}.topologyKey`, t.topologyKey, TOPOLOGY_KEY);
  if (t.labelSelector === undefined) {
    invalid(scope, `${prop}.labelSelector`, undefined, 'expected a label selector of the pods the term is about (without one the term matches no pods)');
  }
  checkLabelSelector(scope, `${prop}.labelSelector`, t.labelSelector);
  if (t.namespaceSelector !== undefined) {
    checkLabelSelector(scope, `${prop}.namespaceSelector`, t.namespaceSelector);
  }
  list(scope, `${prop}.namespaces`, t.namespaces, 'expected a list of namespace names', (s, p, n) => checkDnsLabel(s, p, n));
}

/** A label selector: matchLabels and matchExpressions, ANDed; an empty selector selects everything (also of the NetworkPolicy's peers). */
export function checkLabelSelector(scope: IConstruct, prop: string, sel: k8s.LabelSelector): void {
  checkStruct(scope, prop, sel, 'k8s.LabelSelector');
  if (sel.matchLabels !== undefined) {
    checkObject(scope, `${prop}.matchLabels`, sel.matchLabels, 'expected an object of label keys and values');
    for (const [k, v] of Object.entries(sel.matchLabels)) {
      checkLabelKey(scope, `${prop}.matchLabels`, k);
      checkLabelValue(scope, `${prop}.matchLabels.${k}`, v);
    }
  }
  list(scope, `${prop}.matchExpressions`, sel.matchExpressions, 'expected a list of k8s.LabelSelectorRequirement', (s, p, r) => checkRequirement(s, p, r, LABEL_OPERATORS, 'k8s.LabelSelectorRequirement'));
}

/** A topology spread constraint as the API server checks it, with a selector (one pod alone has no skew). */
/** The constraints, each checked, no two with the same topologyKey and whenUnsatisfiable (the API server refuses that). */
function checkSpreads(scope: IConstruct, given: k8s.TopologySpreadConstraint[] | undefined): k8s.TopologySpreadConstraint[] | undefined {
  const constraints = list(scope, 'topologySpreadConstraints', given, 'expected a list of k8s.TopologySpreadConstraint', checkSpread);
  const seen = new Set<string>();
  (constraints ?? []).forEach((c, i) => {
    const key = `${c.topologyKey} ${c.whenUnsatisfiable}`;
    if (seen.has(key)) {
      invalid(scope, `topologySpreadConstraints[${i}]`, `${c.topologyKey}/${c.whenUnsatisfiable}`,
        'expected at most one constraint per topologyKey and whenUnsatisfiable (Kubernetes refuses a duplicate pair)');
    }
    seen.add(key);
  });
  return constraints;
}

/** The two built-in classes may use the reserved "system-" prefix; any other name is a PriorityClass the user creates. */
const SYSTEM_PRIORITY_CLASSES = ['system-cluster-critical', 'system-node-critical'];

function checkPriorityClassName(scope: IConstruct, name: unknown): string {
  const s = checkDnsSubdomain(scope, 'priorityClassName', name);
  if (s.startsWith('system-') && !SYSTEM_PRIORITY_CLASSES.includes(s)) {
    invalid(scope, 'priorityClassName', s, `expected a PriorityClass of yours (the prefix "system-" is reserved for ${quoted(SYSTEM_PRIORITY_CLASSES)})`);
  }
  return s;
}

function checkSpread(scope: IConstruct, prop: string, c: k8s.TopologySpreadConstraint): void {
  checkStruct(scope, prop, c, 'k8s.TopologySpreadConstraint');
  if (typeof c.maxSkew !== 'number' || !Number.isInteger(c.maxSkew) || c.maxSkew < 1) {
    invalid(scope, `${prop}.maxSkew`, c.maxSkew, 'expected a whole number, 1 or more');
  }
  checkLabelKey(scope, `${prop}.topologyKey`, c.topologyKey, TOPOLOGY_KEY);
  const when = oneOf(scope, `${prop}.whenUnsatisfiable`, c.whenUnsatisfiable, ['DoNotSchedule', 'ScheduleAnyway']);
  if (c.labelSelector === undefined) {
    invalid(scope, `${prop}.labelSelector`, undefined, 'expected a label selector of the pods to spread (without one the constraint counts no pods)');
  }
  checkLabelSelector(scope, `${prop}.labelSelector`, c.labelSelector);
  if (c.minDomains !== undefined) {
    checkPositiveInteger(scope, `${prop}.minDomains`, c.minDomains, 1000000);
    if (when !== 'DoNotSchedule') {
      invalid(scope, `${prop}.minDomains`, c.minDomains, 'expected whenUnsatisfiable "DoNotSchedule" with minDomains');
    }
  }
  for (const policy of ['nodeAffinityPolicy', 'nodeTaintsPolicy'] as const) {
    if (c[policy] !== undefined) {
      oneOf(scope, `${prop}.${policy}`, c[policy], ['Honor', 'Ignore']);
    }
  }
  list(scope, `${prop}.matchLabelKeys`, c.matchLabelKeys, 'expected a list of label keys', (s, p, k) => checkLabelKey(s, p, k));
}

/** Annotation keys are qualified names outside the library's prefix, values strings; 256 KiB in all. */
export function checkAnnotations(scope: IConstruct, prop: string, given: Record<string, string> | undefined): Record<string, string> | undefined {
  if (given === undefined) {
    return undefined;
  }
  checkObject(scope, prop, given, 'expected an object of annotation keys and string values');
  let size = 0;
  for (const [k, v] of Object.entries(given)) {
    if (!isQualifiedName(k)) {
      invalid(scope, prop, k, ANNOTATION_KEY);
    }
    if (k.startsWith(LIBRARY_PREFIX)) {
      invalid(scope, prop, k, `keys under "${LIBRARY_PREFIX}" are the library's own (such as ${CONFIG_CHECKSUM_ANNOTATION}); use another prefix`);
    }
    if (typeof v !== 'string') {
      invalid(scope, `${prop}.${k}`, v, 'expected a string (quote numbers and booleans, e.g. "true")');
    }
    size += Buffer.byteLength(k) + Buffer.byteLength(v);
  }
  if (size > 256 * 1024) {
    invalid(scope, prop, `${size} bytes`, 'expected at most 262144 bytes of keys and values in all (the Kubernetes limit)');
  }
  return Object.keys(given).length > 0 ? { ...given } : undefined;
}

function checkPullSecrets(scope: IConstruct, names: string[] | undefined): k8s.LocalObjectReference[] | undefined {
  const checked = list(scope, 'imagePullSecrets', names, 'expected a list of Secret names', (s, p, name) => checkDnsSubdomain(s, p, name));
  checked?.forEach((name, i) => {
    if (checked.indexOf(name) !== i) {
      invalid(scope, `imagePullSecrets[${i}]`, name, 'expected each Secret once');
    }
  });
  return checked?.map((name) => ({ name }));
}

/** The client Service's type (ExternalName refused), annotations and source ranges (LoadBalancer only). */
function checkClientService(scope: IConstruct, o: PostgresInstanceOptions): ClientService {
  const type: string = o.serviceType ?? ServiceType.CLUSTER_IP;
  if (!CLIENT_SERVICE_TYPES.includes(type)) {
    invalid(scope, 'serviceType', type, `expected one of ${CLIENT_SERVICE_TYPES.join(', ')}${type === ServiceType.EXTERNAL_NAME
      ? ' (an ExternalName Service is a DNS alias that selects no pods, so it cannot serve the database)' : ''}`);
  }
  const ranges = o.loadBalancerSourceRanges;
  if (ranges !== undefined && type !== ServiceType.LOAD_BALANCER) {
    invalid(scope, 'loadBalancerSourceRanges', ranges, `expected serviceType ServiceType.LOAD_BALANCER with loadBalancerSourceRanges (the client Service is ${type}, which no load balancer fronts)`);
  }
  const policy = o.externalTrafficPolicy;
  if (policy !== undefined) {
    oneOf(scope, 'externalTrafficPolicy', policy, [ExternalTrafficPolicy.CLUSTER, ExternalTrafficPolicy.LOCAL]);
    if (type === ServiceType.CLUSTER_IP) {
      invalid(scope, 'externalTrafficPolicy', policy, 'expected serviceType ServiceType.NODE_PORT or ServiceType.LOAD_BALANCER with externalTrafficPolicy (a ClusterIP Service takes no traffic from outside the cluster)');
    }
  }
  if (Array.isArray(ranges) && ranges.length === 0) {
    // An empty list is no restriction: the load balancer would admit every address, most likely by mistake.
    invalid(scope, 'loadBalancerSourceRanges', ranges, 'expected at least one CIDR: an empty list admits every address (leave the option out to admit every address on purpose)');
  }
  return {
    type,
    annotations: checkAnnotations(scope, 'serviceAnnotations', o.serviceAnnotations),
    externalTrafficPolicy: policy,
    loadBalancerSourceRanges: list(scope, 'loadBalancerSourceRanges', ranges, 'expected a list of CIDRs such as ["203.0.113.0/24"]', (s, p, r) => checkCidr(s, p, r)),
  };
}

/** CPU and memory requests and limits, checked (each a Kubernetes quantity), as the manifest holds them. */
export interface CheckedResources {
  readonly requests: { readonly cpu: string; readonly memory: string };
  readonly limits: { readonly cpu: string; readonly memory: string };
}

/**
 * The `resources` of a container (PostgresResources), each given quantity checked and named by `prop`
 * ("resources", "restoreDrill.resources"), the others from `fallback` (the database container's defaults).
 */
export function checkResources(scope: IConstruct, prop: string, given: PostgresResources | undefined, fallback: CheckedResources): CheckedResources {
  const r = given ?? {};
  const quantity = (key: keyof PostgresResources, dflt: string) => (r[key] === undefined ? dflt : checkQuantity(scope, `${prop}.${key}`, r[key], dflt));
  return {
    requests: { cpu: quantity('cpuRequest', fallback.requests.cpu), memory: quantity('memoryRequest', fallback.requests.memory) },
    limits: { cpu: quantity('cpuLimit', fallback.limits.cpu), memory: quantity('memoryLimit', fallback.limits.memory) },
  };
}
