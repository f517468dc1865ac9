// What apps connect with (src/_postgres-instance.ts): the auth Secret, the client Service, the pod
// selector and connectionEnv(), for both constructs and every superuser password variant.
import { Chart, JsonPatch, Testing } from 'cdk8s';
import { Deployment, EnvValue, NetworkPolicyPort, PodConnectionsIsolation } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import {
  ArchivingPostgres, PostgresInstanceOptions, PostgresVersion, SuperuserPassword, WalProvider, WalRestoredPostgres, WalStorage,
} from '../src';
import { find, newChart, Obj, storageFor, synth } from './util';

type Db = ArchivingPostgres | WalRestoredPostgres;

const CONSTRUCTS: Array<[string, (chart: Construct, options: PostgresInstanceOptions) => Db]> = [
  ['ArchivingPostgres', (chart, o) => new ArchivingPostgres(chart, 'orders', { name: 'orders', storage: s3(chart, 'prod/orders'), ...o })],
  ['WalRestoredPostgres', (chart, o) => new WalRestoredPostgres(chart, 'orders', { name: 'orders', source: s3(chart, 'prod/old-orders'), ...o })],
];

const PASSWORDS: Array<[string, SuperuserPassword | undefined, { name: string; key: string; created: boolean }]> = [
  ['no superuserPassword', undefined, { name: 'orders-auth', key: 'POSTGRES_PASSWORD', created: false }],
  ['SuperuserPassword.fromValue()', SuperuserPassword.fromValue('s3cret-Pa55'), { name: 'orders-auth', key: 'POSTGRES_PASSWORD', created: true }],
  ['SuperuserPassword.fromSecret() with a key', SuperuserPassword.fromSecret('orders-db', 'password'), { name: 'orders-db', key: 'password', created: false }],
  ['SuperuserPassword.fromSecret() without a key', SuperuserPassword.fromSecret('orders-db'), { name: 'orders-db', key: 'POSTGRES_PASSWORD', created: false }],
];

function s3(chart: Construct, prefix: string): WalStorage {
  return storageFor(chart, WalProvider.S3, PostgresVersion.V11_2_V1, prefix);
}

/** A Deployment whose container gets the database's connectionEnv(). */
function app(chart: Construct, db: Db, env = db.connectionEnv()): Deployment {
  return new Deployment(chart, 'api', { containers: [{ image: 'ghcr.io/example/orders-api:1.4.0', envVariables: env }] });
}

function appEnv(objs: Obj[]): any[] {
  return find(objs, 'Deployment').spec.template.spec.containers[0].env;
}

describe.each(CONSTRUCTS)('%s', (_kind, make) => {
  test.each(PASSWORDS)('connectionEnv() with %s: PGPASSWORD is the Secret and key the pod reads', (_v, superuserPassword, secret) => {
    const chart = newChart();
    const db = make(chart, { superuserPassword });
    app(chart, db);
    const objs = synth(chart);
    expect(appEnv(objs)).toEqual([
      { name: 'PGHOST', value: 'orders.db.svc' },
      { name: 'PGPORT', value: '5432' },
      { name: 'PGUSER', value: 'postgres' },
      { name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: secret.name, key: secret.key } } },
      { name: 'PGDATABASE', value: 'postgres' },
    ]);
    // The same Secret and key the database pod mounts as its password.
    const auth = find(objs, 'StatefulSet', 'orders').spec.template.spec.volumes.find((v: any) => v.name === 'auth');
    expect(auth.secret).toMatchObject({ secretName: secret.name, items: [{ key: secret.key, path: 'POSTGRES_PASSWORD' }] });
    expect(objs.filter((o) => o.kind === 'Secret').map((o) => [o.metadata.name, Object.keys(o.stringData)])).toEqual(secret.created ? [[secret.name, [secret.key]]] : []);
    expect(db.authSecret.name).toBe(secret.name);
    expect(db.authSecretName).toBe(secret.name);
    expect(db.authSecretKey).toBe(secret.key);
  });

  test('the password given in code is in the Secret only, never in the app', () => {
    const chart = newChart();
    app(chart, make(chart, { superuserPassword: SuperuserPassword.fromValue('s3cret-Pa55') }));
    const objs = synth(chart);
    const outside = JSON.stringify(objs.filter((o) => o.kind !== 'Secret'));
    expect(outside).not.toContain('s3cret-Pa55');
    expect(outside).not.toContain(Buffer.from('s3cret-Pa55').toString('base64'));
    expect(appEnv(objs).filter((e) => 'value' in e).map((e) => e.name)).toEqual(['PGHOST', 'PGPORT', 'PGUSER', 'PGDATABASE']);
  });

  test('PGHOST is the client Service in the chart\'s namespace; host, port and clientService name it', () => {
    const chart = newChart();
    const db = make(chart, {});
    app(chart, db);
    const objs = synth(chart);
    const service = find(objs, 'Service', 'orders');
    expect(`${service.metadata.name}.${service.metadata.namespace}.svc`).toBe('orders.db.svc');
    expect(db.host).toBe('orders.db.svc');
    expect(db.port).toBe(5432);
    expect(service.spec.ports[0].port).toBe(db.port);
    expect(db.clientService.name).toBe('orders');
    expect(db.clientService.kind).toBe('Service');
    expect(db.clientService.toJson()).toEqual(service);
  });

  test('without a chart namespace, PGHOST is the bare Service name', () => {
    const chart = new Chart(Testing.app(), 'test', { disableResourceNameHashes: true });
    const db = make(chart, {});
    app(chart, db);
    expect(appEnv(synth(chart))[0]).toEqual({ name: 'PGHOST', value: 'orders' });
    expect(db.host).toBe('orders');
  });

  test('a generated name is the host\'s too', () => {
    const chart = newChart();
    const db = make(chart, { name: undefined });
    expect(db.host).toBe(`${db.serviceName}.db.svc`);
    expect(db.connectionEnv().PGHOST).toEqual(EnvValue.fromValue(db.host));
  });

  test('connectionEnv({ database }) sets PGDATABASE, and refuses a bad name', () => {
    const chart = newChart();
    const db = make(chart, {});
    app(chart, db, db.connectionEnv({ database: 'orders' }));
    expect(appEnv(synth(chart)).find((e) => e.name === 'PGDATABASE')).toEqual({ name: 'PGDATABASE', value: 'orders' });
    expect(() => db.connectionEnv({ database: '' })).toThrow('Invalid connectionEnv database "" in test/orders: expected a PostgreSQL database name');
    expect(() => db.connectionEnv({ database: 'a\nb' })).toThrow('Invalid connectionEnv database "a\\nb"');
    expect(() => db.connectionEnv({ database: 'x'.repeat(64) })).toThrow('1 to 63 bytes');
    expect(db.connectionEnv({ database: 'é'.repeat(31) }).PGDATABASE).toBeDefined();
    expect(() => db.connectionEnv({ database: 'é'.repeat(32) })).toThrow('1 to 63 bytes');
    expect(() => db.connectionEnv({ database: 5 as any })).toThrow('Invalid connectionEnv database 5');
  });

  test('pods is a NetworkPolicy peer that selects the database pod in its namespace', () => {
    const chart = newChart();
    const db = make(chart, {});
    const api = app(chart, db);
    api.connections.allowTo(db.pods, { ports: [NetworkPolicyPort.tcp(db.port)], isolation: PodConnectionsIsolation.PEER });
    const objs = synth(chart);
    const policy = find(objs, 'NetworkPolicy');
    expect(policy.metadata.namespace).toBe('db');
    expect(policy.spec.podSelector).toEqual(find(objs, 'StatefulSet', 'orders').spec.selector);
    expect(policy.spec.podSelector).toEqual({ matchLabels: find(objs, 'Service', 'orders').spec.selector });
    expect(policy.spec.ingress[0].ports).toEqual([{ port: 5432, protocol: 'TCP' }]);
    expect(db.pods.toPodSelectorConfig().namespaces?.names).toEqual(['db']);
  });

  test('the references add no object: the database\'s manifests are the same with and without an app', () => {
    const without = newChart();
    make(without, {});
    const withApp = newChart();
    const db = make(withApp, {});
    const api = app(withApp, db);
    api.connections.allowTo(db.pods, { isolation: PodConnectionsIsolation.PEER });
    const own = (objs: Obj[]) => objs.filter((o) => o.metadata.labels?.['app.kubernetes.io/instance'] === 'orders');
    expect(own(synth(withApp))).toEqual(synth(without));
  });
});

test('escape hatches patch the manifests as written, with the API\'s field names', () => {
  const chart = newChart();
  const db = new ArchivingPostgres(chart, 'orders', { name: 'orders', storage: s3(chart, 'prod/orders') });
  // "clusterIP" and "hostIPC" are the API's names (cdk8s-plus's typed classes call them clusterIp and hostIpc).
  db.clientService.addJsonPatch(JsonPatch.add('/spec/clusterIP', '10.96.0.50'));
  db.statefulSet.addJsonPatch(JsonPatch.add('/spec/template/spec/hostIPC', false), JsonPatch.replace('/spec/template/spec/terminationGracePeriodSeconds', 120));
  const objs = synth(chart);
  expect(find(objs, 'Service', 'orders').spec.clusterIP).toBe('10.96.0.50');
  const pod = find(objs, 'StatefulSet', 'orders').spec.template.spec;
  expect([pod.hostIPC, pod.terminationGracePeriodSeconds]).toEqual([false, 120]);
});

test('an app in another chart and namespace connects by the database\'s namespace', () => {
  const root = Testing.app();
  const data = new Chart(root, 'data', { namespace: 'data' });
  const web = new Chart(root, 'web', { namespace: 'web' });
  const db = new ArchivingPostgres(data, 'orders', { name: 'orders', storage: s3(data, 'prod/orders') });
  const api = app(web, db);
  api.connections.allowTo(db.pods, { ports: [NetworkPolicyPort.tcp(5432)], isolation: PodConnectionsIsolation.PEER });
  expect(appEnv(synth(web))[0]).toEqual({ name: 'PGHOST', value: 'orders.data.svc' });
  // The ingress policy lands in the database's namespace, admitting the api's pods from theirs.
  const policy = find(synth(web), 'NetworkPolicy');
  expect(policy.metadata.namespace).toBe('data');
  expect(policy.spec.ingress[0].from[0].namespaceSelector).toEqual({ matchLabels: { 'kubernetes.io/metadata.name': 'web' } });
});

test('two instances in one chart each have their references', () => {
  const chart = new Chart(Testing.app(), 'shop', { namespace: 'shop' });
  const a = new ArchivingPostgres(chart, 'a', { name: 'a', storage: s3(chart, 'prod/a') });
  const b = new WalRestoredPostgres(chart, 'b', { name: 'b', source: s3(chart, 'prod/a') });
  expect([a.host, b.host]).toEqual(['a.shop.svc', 'b.shop.svc']);
  expect([a.authSecret.name, b.authSecret.name]).toEqual(['a-auth', 'b-auth']);
  expect(() => Testing.synth(chart)).not.toThrow();
});
