// The optional NetworkPolicy (src/_network-policy.ts) of both constructs: off by default (no object), and
// when on, the spec exactly where Kubernetes reads it: the instance's pods selected, TCP 5432 admitted from
// those pods and the clients only, every egress allowed. Bad values are in test/bad-input.test.ts.
import * as fs from 'fs';
import * as path from 'path';
import { App, Chart, Testing, Yaml } from 'cdk8s';
import { Deployment, LabelExpression, Namespaces, NetworkPolicyIpBlock, Pods } from 'cdk8s-plus-27';
import { ArchivingPostgres, PostgresInstanceOptions, PostgresVersion, S3Credentials, WalProvider, WalRestoredPostgres, WalStorage } from '../src';
import { find, newChart, Obj, storageFor, synth } from './util';
import { cidrStrictlyWithin } from '../src/_validation';
import { buildCorpus } from '../validate/corpus';

const POSTGRES = [{ port: 5432, protocol: 'TCP' }];
/** An ingress rule on PostgreSQL's port from these sources. */
const rule = (...from: object[]) => ({ from, ports: POSTGRES });
const pods = (instance: string) => ({ podSelector: { matchLabels: { 'app.kubernetes.io/instance': instance, 'app.kubernetes.io/name': 'postgres' } } });

/** The clients of the README example: an app's pods in the namespace, and a monitoring namespace's. */
function clients(chart: Chart) {
  return [
    Pods.select(chart, 'api', { labels: { 'app.kubernetes.io/name': 'orders-api' } }),
    Namespaces.select(chart, 'monitoring', { names: ['monitoring'] }),
  ];
}

/** An ArchivingPostgres "orders" (PostgreSQL 17, S3) with the props 'make' returns, synthesized. */
function orders(make: (c: Chart) => Partial<PostgresInstanceOptions> = () => ({})): { objs: Obj[]; pg: ArchivingPostgres } {
  const chart = newChart();
  const pg = new ArchivingPostgres(chart, 'orders', { name: 'orders', storage: storageFor(chart, WalProvider.S3, PostgresVersion.V17), ...make(chart) });
  return { objs: synth(chart), pg };
}

/** A WalRestoredPostgres "copy" (PostgreSQL 17, S3, archiving onward) with the props 'make' returns, synthesized. */
function copy(make: (c: Chart) => Partial<PostgresInstanceOptions> = () => ({})): { objs: Obj[]; pg: WalRestoredPostgres } {
  const chart = newChart();
  const pg = new WalRestoredPostgres(chart, 'copy', {
    name: 'copy',
    source: storageFor(chart, WalProvider.S3, PostgresVersion.V17, 'prod/orders'),
    archive: storageFor(chart, WalProvider.S3, PostgresVersion.V17, 'prod/orders-copy'),
    ...make(chart),
  });
  return { objs: synth(chart), pg };
}

const CONSTRUCTS = [['ArchivingPostgres', 'orders', orders], ['WalRestoredPostgres', 'copy', copy]] as const;

describe.each(CONSTRUCTS)('%s with a NetworkPolicy', (_kind, name, build) => {
  const { objs, pg } = build((c) => ({ networkPolicy: { clients: clients(c) } }));
  const plain = build().objs;
  const policy = find(objs, 'NetworkPolicy');

  test('matches the snapshot (the NetworkPolicy; the other objects are those without it, below)', () => {
    expect(policy).toMatchSnapshot();
  });

  test('is one NetworkPolicy <name>-postgres in the chart\'s namespace, labelled like the other objects', () => {
    expect(objs.filter((o) => o.kind === 'NetworkPolicy').map((o) => o.metadata.name)).toEqual([`${name}-postgres`]);
    expect(pg.networkPolicyName).toBe(`${name}-postgres`);
    expect(policy.apiVersion).toBe('networking.k8s.io/v1');
    expect(policy.metadata).toEqual({ name: `${name}-postgres`, namespace: 'db', labels: find(objs, 'StatefulSet').metadata.labels });
  });

  test('its spec: the instance\'s pods, TCP 5432 from them and from each client, every egress allowed', () => {
    expect(policy.spec).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/instance': name, 'app.kubernetes.io/name': 'postgres' } },
      policyTypes: ['Egress', 'Ingress'],
      egress: [{}],
      ingress: [
        rule(pods(name)),
        rule({ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'orders-api' } } }),
        rule({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: {} }),
      ],
    });
  });

  test('selects exactly the pods the StatefulSet and the Services select', () => {
    const sts = find(objs, 'StatefulSet');
    expect(policy.spec.podSelector).toEqual(sts.spec.selector);
    expect(policy.spec.podSelector.matchLabels).toEqual(find(objs, 'Service', name).spec.selector);
    for (const [k, v] of Object.entries(policy.spec.podSelector.matchLabels)) expect(sts.spec.template.metadata.labels[k]).toBe(v);
  });

  test('adds only itself: every other object is that of the same instance without the option', () => {
    expect(objs.filter((o) => o.kind !== 'NetworkPolicy')).toEqual(plain);
  });
});

test.each(CONSTRUCTS)('%s without networkPolicy makes no NetworkPolicy', (_kind, _name, build) => {
  const { objs, pg } = build();
  expect(objs.map((o) => o.kind)).not.toContain('NetworkPolicy');
  expect(pg.networkPolicyName).toBeUndefined();
});

test('each kind of cdk8s-plus-27 peer becomes one rule on TCP 5432, as Kubernetes reads it', () => {
  const { objs } = orders((c) => ({
    networkPolicy: {
      clients: [
        Pods.select(c, 'web', { labels: { app: 'web' }, namespaces: Namespaces.select(c, 'web-ns', { names: ['web', 'web-canary'] }) }),
        Pods.select(c, 'batch', { expressions: [LabelExpression.in('tier', ['batch', 'reports']), LabelExpression.exists('example.com/db-client')] }),
        Namespaces.select(c, 'team', { labels: { 'example.com/team': 'payments' } }),
        NetworkPolicyIpBlock.ipv4(c, 'vpn', '10.8.0.0/16', ['10.8.255.0/24']),
        NetworkPolicyIpBlock.ipv6(c, 'office', '2001:db8::/32'),
        new Deployment(c, 'worker', { containers: [{ image: 'example.com/worker:1' }] }),
      ],
    },
  }));
  const web = (ns: string) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } }, podSelector: { matchLabels: { app: 'web' } } });
  const worker = find(objs, 'Deployment').spec.template.metadata.labels;
  expect(find(objs, 'NetworkPolicy').spec.ingress).toEqual([
    rule(pods('orders')),
    rule(web('web'), web('web-canary')),
    rule({ podSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['batch', 'reports'] }, { key: 'example.com/db-client', operator: 'Exists' }] } }),
    rule({ namespaceSelector: { matchLabels: { 'example.com/team': 'payments' } }, podSelector: {} }),
    rule({ ipBlock: { cidr: '10.8.0.0/16', except: ['10.8.255.0/24'] } }),
    rule({ ipBlock: { cidr: '2001:db8::/32' } }),
    rule({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'db' } }, podSelector: { matchLabels: worker } }),
  ]);
});

test('the broad peers are taken as given: every pod of the namespace, of the cluster, every address', () => {
  const { objs } = orders((c) => ({ networkPolicy: { clients: [Pods.all(c, 'all-pods'), Namespaces.all(c, 'all-namespaces'), NetworkPolicyIpBlock.anyIpv4(c, 'any')] } }));
  expect(find(objs, 'NetworkPolicy').spec.ingress.slice(1)).toEqual([
    rule({ podSelector: {} }),
    rule({ namespaceSelector: {}, podSelector: {} }),
    rule({ ipBlock: { cidr: '0.0.0.0/0' } }),
  ]);
});

test('of two instances in one chart, only the one with the option gets a policy, and it selects its own pods only', () => {
  const chart = newChart();
  const api = Pods.select(chart, 'api', { labels: { app: 'api' } });
  new ArchivingPostgres(chart, 'orders', { name: 'orders', storage: storageFor(chart, WalProvider.S3, PostgresVersion.V17, 'prod/orders'), networkPolicy: { clients: [api] } });
  new ArchivingPostgres(chart, 'users', { name: 'users', storage: storageFor(chart, WalProvider.S3, PostgresVersion.V17, 'prod/users') });
  const policies = synth(chart).filter((o) => o.kind === 'NetworkPolicy');
  expect(policies.map((o) => [o.metadata.name, o.spec.podSelector.matchLabels['app.kubernetes.io/instance']])).toEqual([['orders-postgres', 'orders']]);
});

test.each(CONSTRUCTS)('%s with three members: one policy protects and admits every member on 5432 (standbys stream from the primary)', (_kind, name, build) => {
  const { objs, pg } = build((c) => ({ replicas: 3, networkPolicy: { clients: clients(c) } }));
  expect(objs.filter((o) => o.kind === 'NetworkPolicy').map((o) => o.metadata.name)).toEqual([`${name}-postgres`]);
  const policy = find(objs, 'NetworkPolicy');
  const own = policy.spec.ingress[0];
  expect(own).toEqual(rule(pods(name)));
  const selects = (selector: { matchLabels: Record<string, string> }, labels: Record<string, string>) =>
    Object.entries(selector.matchLabels).every(([k, v]) => labels[k] === v);
  const members = objs.filter((o) => o.kind === 'StatefulSet');
  expect(members.map((s) => s.metadata.name)).toEqual(pg.memberNames);
  expect(members).toHaveLength(3);
  for (const sts of members) {
    const labels = sts.spec.template.metadata.labels;
    const protectedAndAdmitted = [selects(policy.spec.podSelector, labels), selects(own.from[0].podSelector, labels)];
    expect([sts.metadata.name, protectedAndAdmitted]).toEqual([sts.metadata.name, [true, true]]);
  }
});

test('the option leaves the config checksum alone: the policy is not in the ConfigMap, so turning it on does not restart the database', () => {
  const checksum = (objs: Obj[]) => find(objs, 'StatefulSet').spec.template.metadata.annotations['cdk8s-postgres-walg/config-checksum'];
  expect(checksum(orders((c) => ({ networkPolicy: { clients: clients(c) } })).objs)).toBe(checksum(orders().objs));
});

test.each([
  ['10.0.0.0/8', '10.1.0.0/16', true],
  ['10.0.0.0/8', '10.255.255.255/32', true],
  ['10.0.0.0/8', '10.0.0.0/8', false],
  ['10.0.0.0/8', '11.0.0.0/16', false],
  ['10.0.0.0/16', '10.0.0.0/8', false],
  ['0.0.0.0/0', '192.0.2.0/24', true],
  ['2001:db8::/32', '2001:db8:1::/48', true],
  ['2001:db8::/32', '2001:db9::/48', false],
  ['::/0', '10.0.0.0/8', false],
  ['10.0.0.0/8', '::ffff:10.1.0.0/112', false],
])('cidrStrictlyWithin(%s, %s) is %s', (outer, inner, within) => {
  expect(cidrStrictlyWithin(outer, inner)).toBe(within);
});

test('the validation corpus: the cases with a NetworkPolicy are exactly those where the missing-NetworkPolicy findings are not accepted', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const YAML = require('yaml');
  const accepted: Array<{ check: string; exceptEntries?: string[] }> = YAML.parse(fs.readFileSync(path.join(__dirname, '..', 'validate', 'accepted-findings.yaml'), 'utf8')).accepted;
  const glob = (g: string) => new RegExp(`^${g.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  const withPolicy = buildCorpus().entries.filter((e) => e.objects.some((o) => o.kind === 'NetworkPolicy')).map((e) => e.id);
  expect(withPolicy.length).toBeGreaterThan(0);
  for (const check of ['pod-networkpolicy', 'non-isolated-pod']) {
    const globs = accepted.find((a) => a.check === check)?.exceptEntries ?? [];
    const excepted = buildCorpus().entries.map((e) => e.id).filter((id) => globs.some((g) => glob(g).test(id)));
    expect([check, excepted]).toEqual([check, withPolicy]);
  }
});

test('the README\'s YAML is what its NetworkPolicy example synthesizes (the example itself is compiled and run by test/readme.test.ts)', () => {
  const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
  const shown = /<!-- network-policy-example:start -->\n```yaml\n([\s\S]*?)```\n<!-- network-policy-example:end -->/.exec(readme)?.[1];
  const chart = new Chart(new App(), 'billing', { namespace: 'billing' });
  new ArchivingPostgres(chart, 'ledger', {
    name: 'ledger',
    storage: WalStorage.s3(PostgresVersion.V17, { bucket: 'walg-archive', prefix: 'billing/ledger', region: 'eu-west-1', credentials: S3Credentials.fromSecret('s3-walg') }),
    networkPolicy: {
      clients: [
        Pods.select(chart, 'ledger-api', { labels: { 'app.kubernetes.io/name': 'ledger-api' } }),
        Namespaces.select(chart, 'monitoring', { names: ['monitoring'] }),
        NetworkPolicyIpBlock.ipv4(chart, 'vpn', '10.8.0.0/16'),
      ],
    },
  });
  expect(shown).toBe(Yaml.stringify(...Testing.synth(chart).filter((o) => o.kind === 'NetworkPolicy')));
  expect(readme).toContain("NetworkPolicyIpBlock.ipv4(chart, 'vpn', '10.8.0.0/16'),");
});
