// The checks behind the pod options (src/_pod-options.ts) on their own: what they accept, and that the
// Kubernetes structs they check are the ones cdk8s-plus-27 publishes.
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { ServiceType } from 'cdk8s-plus-27';
import { ArchivingPostgres, ExternalTrafficPolicy, PostgresVersion, WalProvider } from '../src';
import { find, newChart, storageFor, synth } from './util';
import { configChecksum, FIELDS } from '../src/_pod-options';
import { checkCidr } from '../src/_validation';

test.each([
  '0.0.0.0/0', '10.0.0.0/8', '192.168.0.0/16', '203.0.113.7/32', '255.255.255.255/32',
  '::/0', '2001:db8::/32', '2001:db8:0:1::/64', '2001:0db8:0000:0000:0000:0000:0000:0001/128', 'fe80::/10', '::ffff:192.0.2.0/120', '::1/128',
])('the CIDR %s is accepted', (cidr) => {
  expect(checkCidr('test', 'cidr', cidr)).toBe(cidr);
});

test('the struct fields checked are those of cdk8s-plus-27\'s k8s structs (the jsii assembly): a new field fails here until it is known', () => {
  const assembly = JSON.parse(fs.readFileSync(path.join(path.dirname(require.resolve('cdk8s-plus-27/package.json')), '.jsii'), 'utf8'));
  for (const [struct, fields] of Object.entries(FIELDS)) {
    const type = assembly.types[`cdk8s-plus-27.${struct}`];
    expect([struct, type?.datatype]).toEqual([struct, true]);
    expect([struct, fields]).toEqual([struct, type.properties.map((p: { name: string }) => p.name).sort()]);
  }
});

test('the config checksum is the sha256 of canonical JSON: keys sorted, no spaces, strings escaped as JSON does', () => {
  expect(configChecksum({})).toBe('44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a'); // sha256('{}')
  expect(configChecksum({ b: '2', a: 'x"\n' })).toBe(configChecksum({ a: 'x"\n', b: '2' }));
  expect(configChecksum({ a: '1' })).not.toBe(configChecksum({ a: '1 ' }));
});

test('the config checksum of long values (the scripts, encoded once per text) is the sha256 of the whole canonical text', () => {
  const long = `#!/bin/sh\necho "ünïcode \\ \t"\n${'x'.repeat(2000)}\n`;
  const data = { 'lib.sh': long, 'archive.env': 'A=1\n', 'bootstrap.sh': `${long}more` };
  const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
  const expected = sha256(`{"archive.env":${JSON.stringify(data['archive.env'])},"bootstrap.sh":${JSON.stringify(data['bootstrap.sh'])},"lib.sh":${JSON.stringify(long)}}`);
  // Twice: the second time from the encoded texts kept from the first.
  expect(configChecksum(data)).toBe(expected);
  expect(configChecksum(data)).toBe(expected);
  expect(configChecksum({ ...data, 'lib.sh': `${long} ` })).not.toBe(expected);
});

test.each<[string, { serviceType: ServiceType; loadBalancerSourceRanges?: string[] }]>([
  ['LoadBalancer with source ranges', { serviceType: ServiceType.LOAD_BALANCER, loadBalancerSourceRanges: ['203.0.113.0/24'] }],
  ['LoadBalancer without source ranges', { serviceType: ServiceType.LOAD_BALANCER }],
])('the client Service: %s', (_what, props) => {
  const chart = newChart();
  new ArchivingPostgres(chart, 'orders', { name: 'orders', storage: storageFor(chart, WalProvider.S3, PostgresVersion.V11_2_V1), ...props });
  const spec = find(synth(chart), 'Service', 'orders').spec;
  expect(spec.type).toBe('LoadBalancer');
  expect(spec.loadBalancerSourceRanges).toEqual(props.loadBalancerSourceRanges);
});

test('a toleration of every taint ("Exists" without a key) and empty values are accepted', () => {
  const chart = newChart();
  const tolerations = [{ operator: 'Exists' }, { key: 'dedicated', operator: 'Equal', value: '' }, { key: 'example.com/gpu', operator: 'Exists', value: '' }];
  new ArchivingPostgres(chart, 'orders', { name: 'orders', storage: storageFor(chart, WalProvider.S3, PostgresVersion.V11_2_V1), tolerations });
  expect(find(synth(chart), 'StatefulSet').spec.template.spec.tolerations).toEqual(tolerations);
});

test.each([
  [ServiceType.LOAD_BALANCER, ExternalTrafficPolicy.LOCAL, 'Local'],
  [ServiceType.NODE_PORT, ExternalTrafficPolicy.CLUSTER, 'Cluster'],
])('externalTrafficPolicy on a %s client Service: %s, the headless Service untouched', (serviceType, externalTrafficPolicy, expected) => {
  const chart = newChart();
  new ArchivingPostgres(chart, 'orders', { name: 'orders', storage: storageFor(chart, WalProvider.S3, PostgresVersion.V11_2_V1), serviceType, externalTrafficPolicy });
  const objs = synth(chart);
  expect(find(objs, 'Service', 'orders').spec.externalTrafficPolicy).toBe(expected);
  expect(find(objs, 'Service', 'orders-pods').spec.externalTrafficPolicy).toBeUndefined();
});

test('without externalTrafficPolicy the client Service leaves it to Kubernetes', () => {
  const chart = newChart();
  new ArchivingPostgres(chart, 'orders', { name: 'orders', storage: storageFor(chart, WalProvider.S3, PostgresVersion.V11_2_V1), serviceType: ServiceType.LOAD_BALANCER });
  expect(find(synth(chart), 'Service', 'orders').spec.externalTrafficPolicy).toBeUndefined();
});
