// Bad input: every invalid value fails at synth time (or in the factory that takes it) with one
// sentence that names where (the construct path, or the factory), the property, the value as given
// and what would be valid. The messages are asserted verbatim.
import { Chart, Duration, Testing } from 'cdk8s';
import { Deployment, ImagePullPolicy, LabelExpression, Namespaces, NetworkPolicyIpBlock, PersistentVolumeClaim, Pods, ServiceType, Volume } from 'cdk8s-plus-27';
import {
  ArchivingPostgres, ArchivingPostgresProps, AzureCredentials, GcsCredentials, PostgresVersion, ReplicationPassword, S3Credentials, SuperuserPassword,
  SwiftCredentials, WalRestoredPostgres, WalRestoredPostgresProps, WalStorage,
} from '../src';
import { CATALOG } from '../src/_catalog';

const V = PostgresVersion.V11_2_V1;
/** A version whose WAL-G reads every setting the library writes (range checks of those settings). */
const V3 = PostgresVersion.custom({ name: '17.2-walg3', serverVersion: '17.2', image: 'example.com/postgres-walg:17.2', walgVersion: '3.0.7' });
const PATH = 'bad/pg';

function chart(): Chart {
  return new Chart(Testing.app(), 'bad', { namespace: 'db', disableResourceNameHashes: true });
}
const secret = () => S3Credentials.fromSecret('s3-walg');
const s3 = (o: Record<string, unknown> = {}) => WalStorage.s3(V, { bucket: 'walg-archive', prefix: 'prod/orders', credentials: secret(), ...o } as any);
const minio = (o: Record<string, unknown> = {}) => WalStorage.minio(V, { bucket: 'walg', endpoint: 'https://minio.storage.svc:9000', credentials: secret(), ...o } as any);
const gcs = (o: Record<string, unknown> = {}) => WalStorage.gcs(V, { bucket: 'walg-archive', credentials: GcsCredentials.fromSecret('gcs-walg'), ...o } as any);
const azure = (o: Record<string, unknown> = {}) => WalStorage.azure(V, { container: 'walg', credentials: AzureCredentials.fromSecret('azure-walg'), ...o } as any);
const swift = (o: Record<string, unknown> = {}) => WalStorage.swift(V, { container: 'walg', credentials: SwiftCredentials.fromSecret('swift-walg'), ...o } as any);

/** An ArchivingPostgres at bad/pg with valid defaults, overridden by 'props'. */
function archiving(props: Partial<Record<keyof ArchivingPostgresProps, unknown>>): void {
  new ArchivingPostgres(chart(), 'pg', { storage: s3(), ...props } as any);
}
/** A WalRestoredPostgres at bad/pg with valid defaults, overridden by 'props'. */
function restored(props: Partial<Record<keyof WalRestoredPostgresProps, unknown>>): void {
  new WalRestoredPostgres(chart(), 'pg', { source: s3(), ...props } as any);
}
/** An ArchivingPostgres at bad/pg archiving to the storage 'make' builds in its chart. */
function archivingTo(make: (c: Chart) => WalStorage): void {
  const c = chart();
  new ArchivingPostgres(c, 'pg', { storage: make(c) });
}
const pvc = (c: Chart, id = 'archive') => Volume.fromPersistentVolumeClaim(c, id, PersistentVolumeClaim.fromClaimName(c, `${id}-claim`, 'walg-archive'));
const target = (recoveryTarget: Record<string, unknown>) => () => restored({ recoveryTarget });

const DNS_LABEL_40 = 'expected a DNS-1123 label of at most 40 characters: lower-case letters, digits and "-", starting and ending with a letter or digit';
const OBJECT_NAME = 'expected a Kubernetes object name (DNS-1123 subdomain): lower-case letters, digits, "-" and ".", at most 253 characters';
const S3_BUCKET = 'expected an S3 bucket name: 3 to 63 lower-case letters, digits, "." and "-", starting and ending with a letter or digit, not an IP address';
const GCS_BUCKET = 'expected a GCS bucket name: 3 to 63 lower-case letters, digits, "-", "_" and ".", starting and ending with a letter or digit, not starting with "goog"';
const AZURE_CONTAINER = 'expected an Azure container name: 3 to 63 lower-case letters, digits and single "-", starting and ending with a letter or digit';
const SWIFT_CONTAINER = 'expected a Swift container name: 1 to 256 characters, without spaces and without / # ? % @ : [ ] \\ ^ ` { | } (WAL-G reads it as the host of the URL swift://container/prefix)';
/** A Swift container with URL syntax: WAL-G reads the container as the host of swift://container/prefix. */
const swiftHost = (c: string, what: string) => `expected a Swift container name without ${c}: WAL-G reads it as the host of the URL swift://container/prefix, in which ${c} ${what}`;
const NOT_IN_HOST = 'is not allowed in a host, so WAL-G fails to parse the location';
const PREFIX = 'expected a relative path such as "prod/orders": no leading or trailing "/", no empty, "." or ".." segments, at most 512 characters';
/** A cloud prefix with URL syntax: WAL-G reads scheme://bucket/prefix with Go's url.Parse. */
const urlPrefix = (c: string, outcome: string) => `expected a prefix without "${c}": WAL-G reads the location as a URL, in which ${{
  '#': '"#" starts a fragment, which it ignores', '?': '"?" starts a query, which it ignores', '%': '"%" starts an escape such as "%41" (read as "A")',
}[c]}, so it would ${outcome}`;
const BAD_ESCAPE = 'fail to parse it ("%" must be followed by two hexadecimal digits)';
const CLOUD: Array<[string, (o: Record<string, unknown>) => WalStorage]> = [['S3', s3], ['MinIO', minio], ['GCS', gcs], ['Azure', azure], ['Swift', swift]];
const SINGLE_LINE = 'expected a single line without control characters';
const ONE_LINE = 'expected one line: the pod reads a Secret value without the line ends at its end, and refuses one with a line break, a carriage return or a NUL byte before its end';
const HTTPS_URL = 'expected an https URL such as "https://minio.storage.svc:9000"';
const TIME = 'expected a time stamp with an explicit time zone, such as "2026-11-23T10:15:00Z" or "2026-11-23 10:15:00+01:00"';
const LSN = 'expected a WAL location such as "0/3000060" (two hexadecimal numbers separated by "/")';
const XID = 'expected a transaction id as a string: a whole number of 3 or more, such as "1234"';
const BACKUP = 'expected "LATEST" or a WAL-G backup name such as "base_000000010000000000000002" (see wal-g backup-list)';
const SECONDS = 'expected a whole number of seconds, at least 1';
const SHORT_WINDOW = (interval: number) => `expected at least baseBackupInterval (${interval} s): retention runs after each scheduled backup, ` +
  'and the backup before it finished before any shorter window began, so a shorter window keeps the same backups';
/** A custom version whose WAL-G predates delta backups (0.1.3). */
const WALG_0_1_2 = PostgresVersion.custom({ name: '11-walg012', serverVersion: '11.22', image: 'example.com/pg:11', walgVersion: '0.1.2' });
const MOUNT_PATH = 'expected an absolute path such as "/var/walg-archive", without "..", empty segments, a trailing "/", spaces or shell characters';
const NON_EMPTY = 'expected a non-empty string';
const quantity = (example: string) => `expected a positive Kubernetes quantity such as "${example}"`;
const LABEL_KEY = 'expected a Kubernetes label key such as "team" or "example.com/team"';
const LABEL_VALUE = 'expected a Kubernetes label value: at most 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit';
const TOPOLOGY_KEY = 'expected a node label key such as "topology.kubernetes.io/zone" or "kubernetes.io/hostname"';
const ANNOTATION_KEY = 'expected a Kubernetes annotation key (a qualified name) such as "example.com/owner": an optional DNS subdomain prefix and "/", '
  + 'then at most 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit';
const CIDR = 'expected a CIDR such as "203.0.113.0/24" or "2001:db8::/32": an IPv4 or IPv6 network address and a prefix length, with the bits after the prefix zero';
const OWN_PREFIX = 'keys under "cdk8s-postgres-walg/" are the library\'s own (such as cdk8s-postgres-walg/config-checksum); use another prefix';
/** The paths of the affinity structs, as the messages name them. */
const NODE_REQUIRED = 'affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms';
const NODE_PREFERRED = 'affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution';
const ANTI_REQUIRED = 'affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution';
/** An affinity whose required node selector has these terms. */
const nodeTerms = (nodeSelectorTerms: unknown) => ({
  affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms } } },
});
/** A required node selector with one requirement. */
const nodeRequirement = (r: Record<string, unknown>) => nodeTerms([{ matchExpressions: [r] }]);
/** A required pod anti-affinity with one term. */
const antiTerm = (t: Record<string, unknown>) => ({ affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [t] } } });
const DB = { matchLabels: { tier: 'db' } };
/** A topology spread constraint: valid, overridden by 'o'. */
const spread = (o: Record<string, unknown>) => ({ topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: DB, ...o }] });

/** A NetworkPolicy admitting the one peer 'make' builds (in a chart of its own: a peer only renders selectors). */
const admitting = (make: (c: Chart) => unknown) => ({ networkPolicy: { clients: [make(chart())] } });
const NP = 'networkPolicy.clients[0]';
const PEER = 'expected a cdk8s-plus-27 network policy peer (INetworkPolicyPeer) such as Pods.select(...), Namespaces.select(...), '
  + 'NetworkPolicyIpBlock.ipv4(...) or a cdk8s-plus workload';
const NO_SOURCE = 'expected a peer that selects at least one source: Kubernetes reads a rule without sources as "every source", '
  + 'so this peer (e.g. Namespaces.select() with names: []) would admit every client';
const DNS_LABEL_63 = 'expected a DNS-1123 label of at most 63 characters: lower-case letters, digits and "-", starting and ending with a letter or digit';
const REPLICAS = 'expected a whole number from 1 to 10: one primary and up to 9 hot standbys';
const RESERVED = 'give each instance its own name (each uses "<name>-pods" for its headless Service; one with replicas also "<name>-1" to "<name>-<replicas - 1>" for its members\' StatefulSets and "<name>-ro" for its read-only Service)';
const MEMBER_LABELS = 'expected a label the library does not set: it sets cdk8s-postgres-walg/member and cdk8s-postgres-walg/role on the pods of an instance with replicas '
  + '(the member\'s number, primary or standby), and its Services select by them';
const strictlyInside = (cidr: string) => `expected a CIDR strictly inside the block's cidr "${cidr}" (Kubernetes refuses an exception outside it or equal to it)`;

/** [what, how, the exact message] */
const CASES: Array<[string, () => unknown, string]> = [
  // --- names -----------------------------------------------------------------------------------------
  ['name with upper case', () => archiving({ name: 'Orders' }), `Invalid name "Orders" in ${PATH}: ${DNS_LABEL_40}.`],
  ['name with "_"', () => archiving({ name: 'orders_db' }), `Invalid name "orders_db" in ${PATH}: ${DNS_LABEL_40}.`],
  ['name starting with "-"', () => archiving({ name: '-orders' }), `Invalid name "-orders" in ${PATH}: ${DNS_LABEL_40}.`],
  ['name ending with "-"', () => archiving({ name: 'orders-' }), `Invalid name "orders-" in ${PATH}: ${DNS_LABEL_40}.`],
  ['name with "."', () => archiving({ name: 'orders.db' }), `Invalid name "orders.db" in ${PATH}: ${DNS_LABEL_40}.`],
  ['name of 41 characters', () => archiving({ name: 'o'.repeat(41) }), `Invalid name "${'o'.repeat(41)}" in ${PATH}: ${DNS_LABEL_40}.`],
  ['empty name', () => archiving({ name: '' }), `Invalid name "" in ${PATH}: ${DNS_LABEL_40}.`],
  ['name with a space', () => restored({ name: 'orders copy' }), `Invalid name "orders copy" in ${PATH}: ${DNS_LABEL_40}.`],
  ['storageClassName with "_"', () => archiving({ storageClassName: 'fast_ssd' }), `Invalid storageClassName "fast_ssd" in ${PATH}: ${OBJECT_NAME}.`],
  ['credentials Secret name with upper case', () => archiving({ storage: s3({ credentials: S3Credentials.fromSecret('S3-Walg') }) }), `Invalid storage.credentials secret name "S3-Walg" in ${PATH}: ${OBJECT_NAME}.`],
  ['superuser password Secret name with a space', () => archiving({ superuserPassword: SuperuserPassword.fromSecret('orders auth') }), `Invalid superuserPassword secret name "orders auth" in ${PATH}: ${OBJECT_NAME}.`],
  ['pod identity service account with "_"', () => archiving({ storage: s3({ credentials: S3Credentials.fromPodIdentity('walg_irsa') }) }), `Invalid storage.credentials service account name "walg_irsa" in ${PATH}: ${OBJECT_NAME}.`],
  ['workload identity service account with upper case', () => archiving({ storage: gcs({ credentials: GcsCredentials.fromWorkloadIdentity('WalgGke') }) }), `Invalid storage.credentials service account name "WalgGke" in ${PATH}: ${OBJECT_NAME}.`],
  ['label key with a space', () => archiving({ labels: { 'team name': 'db' } }), `Invalid labels "team name" in ${PATH}: expected a Kubernetes label key such as "team" or "example.com/team".`],
  ['label value with a space', () => archiving({ labels: { team: 'data base' } }), `Invalid labels.team "data base" in ${PATH}: expected a Kubernetes label value: at most 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit.`],

  // --- buckets and containers ------------------------------------------------------------------------
  ['S3 bucket of 2 characters', () => archiving({ storage: s3({ bucket: 'ab' }) }), `Invalid storage.bucket "ab" in ${PATH}: ${S3_BUCKET}.`],
  ['S3 bucket with upper case', () => archiving({ storage: s3({ bucket: 'Walg-Archive' }) }), `Invalid storage.bucket "Walg-Archive" in ${PATH}: ${S3_BUCKET}.`],
  ['S3 bucket that is an IP address', () => archiving({ storage: s3({ bucket: '192.168.1.10' }) }), `Invalid storage.bucket "192.168.1.10" in ${PATH}: ${S3_BUCKET}.`],
  ['S3 bucket with ".."', () => archiving({ storage: s3({ bucket: 'walg..archive' }) }), `Invalid storage.bucket "walg..archive" in ${PATH}: ${S3_BUCKET}.`],
  ['S3 bucket with "_"', () => archiving({ storage: s3({ bucket: 'walg_archive' }) }), `Invalid storage.bucket "walg_archive" in ${PATH}: ${S3_BUCKET}.`],
  ['S3 bucket starting with "xn--"', () => archiving({ storage: s3({ bucket: 'xn--walg' }) }), `Invalid storage.bucket "xn--walg" in ${PATH}: ${S3_BUCKET}.`],
  ['S3 bucket of 64 characters', () => archiving({ storage: s3({ bucket: 'w'.repeat(64) }) }), `Invalid storage.bucket "${'w'.repeat(64)}" in ${PATH}: ${S3_BUCKET}.`],
  ['MinIO bucket starting with "-"', () => archiving({ storage: minio({ bucket: '-walg' }) }), `Invalid storage.bucket "-walg" in ${PATH}: ${S3_BUCKET}.`],
  ['missing S3 bucket', () => archiving({ storage: s3({ bucket: undefined }) }), `Invalid storage.bucket (missing) in ${PATH}: ${S3_BUCKET}.`],
  ['GCS bucket starting with "goog"', () => archiving({ storage: gcs({ bucket: 'goog-walg' }) }), `Invalid storage.bucket "goog-walg" in ${PATH}: ${GCS_BUCKET}.`],
  ['GCS bucket containing "google"', () => archiving({ storage: gcs({ bucket: 'my-google-walg' }) }), `Invalid storage.bucket "my-google-walg" in ${PATH}: ${GCS_BUCKET}.`],
  ['GCS bucket with upper case', () => archiving({ storage: gcs({ bucket: 'Walg' }) }), `Invalid storage.bucket "Walg" in ${PATH}: ${GCS_BUCKET}.`],
  ['GCS bucket ending with "_"', () => archiving({ storage: gcs({ bucket: 'walg_' }) }), `Invalid storage.bucket "walg_" in ${PATH}: ${GCS_BUCKET}.`],
  ['Azure container with "--"', () => archiving({ storage: azure({ container: 'walg--archive' }) }), `Invalid storage.container "walg--archive" in ${PATH}: ${AZURE_CONTAINER}.`],
  ['Azure container with upper case', () => archiving({ storage: azure({ container: 'Walg' }) }), `Invalid storage.container "Walg" in ${PATH}: ${AZURE_CONTAINER}.`],
  ['Azure container of 2 characters', () => archiving({ storage: azure({ container: 'wa' }) }), `Invalid storage.container "wa" in ${PATH}: ${AZURE_CONTAINER}.`],
  ['Azure container with "_"', () => archiving({ storage: azure({ container: 'walg_archive' }) }), `Invalid storage.container "walg_archive" in ${PATH}: ${AZURE_CONTAINER}.`],
  ['Swift container with "/"', () => archiving({ storage: swift({ container: 'walg/archive' }) }), `Invalid storage.container "walg/archive" in ${PATH}: ${swiftHost('"/"', 'ends the host (a path, a query or a fragment follows)')}.`],
  ['Swift container with "#"', () => archiving({ storage: swift({ container: 'walg#eu' }) }), `Invalid storage.container "walg#eu" in ${PATH}: ${swiftHost('"#"', 'ends the host (a path, a query or a fragment follows)')}.`],
  ['Swift container with "?"', () => archiving({ storage: swift({ container: 'walg?eu' }) }), `Invalid storage.container "walg?eu" in ${PATH}: ${swiftHost('"?"', 'ends the host (a path, a query or a fragment follows)')}.`],
  ['Swift container with "@"', () => archiving({ storage: swift({ container: 'team@walg' }) }), `Invalid storage.container "team@walg" in ${PATH}: ${swiftHost('"@"', 'ends a user name, and the host follows it')}.`],
  ['Swift container with ":"', () => archiving({ storage: swift({ container: 'walg:eu' }) }), `Invalid storage.container "walg:eu" in ${PATH}: ${swiftHost('":"', 'starts a port')}.`],
  ['Swift container with "["', () => archiving({ storage: swift({ container: '[walg' }) }), `Invalid storage.container "[walg" in ${PATH}: ${swiftHost('"["', 'encloses an IP address')}.`],
  ['Swift container with "]"', () => archiving({ storage: swift({ container: 'walg]' }) }), `Invalid storage.container "walg]" in ${PATH}: ${swiftHost('"]"', 'encloses an IP address')}.`],
  ['Swift container with "%"', () => archiving({ storage: swift({ container: 'walg%41' }) }), `Invalid storage.container "walg%41" in ${PATH}: ${swiftHost('"%"', 'starts an escape')}.`],
  ['Swift container with a space', () => archiving({ storage: swift({ container: 'walg archive' }) }), `Invalid storage.container "walg archive" in ${PATH}: ${swiftHost('" "', NOT_IN_HOST)}.`],
  ['Swift container with "\\"', () => archiving({ storage: swift({ container: 'walg\\eu' }) }), `Invalid storage.container "walg\\\\eu" in ${PATH}: ${swiftHost('"\\\\"', NOT_IN_HOST)}.`],
  ['Swift container with "^"', () => archiving({ storage: swift({ container: 'walg^2' }) }), `Invalid storage.container "walg^2" in ${PATH}: ${swiftHost('"^"', NOT_IN_HOST)}.`],
  ['Swift container with "`"', () => archiving({ storage: swift({ container: 'walg`' }) }), `Invalid storage.container "walg\`" in ${PATH}: ${swiftHost('"`"', NOT_IN_HOST)}.`],
  ['Swift container with "{"', () => archiving({ storage: swift({ container: 'walg{eu' }) }), `Invalid storage.container "walg{eu" in ${PATH}: ${swiftHost('"{"', NOT_IN_HOST)}.`],
  ['Swift container with "|"', () => archiving({ storage: swift({ container: 'walg|eu' }) }), `Invalid storage.container "walg|eu" in ${PATH}: ${swiftHost('"|"', NOT_IN_HOST)}.`],
  ['Swift container with "}"', () => archiving({ storage: swift({ container: 'walg}' }) }), `Invalid storage.container "walg}" in ${PATH}: ${swiftHost('"}"', NOT_IN_HOST)}.`],
  ['Swift container of 257 characters', () => archiving({ storage: swift({ container: 'c'.repeat(257) }) }), `Invalid storage.container "${'c'.repeat(257)}" in ${PATH}: ${SWIFT_CONTAINER}.`],
  ['Swift container with a newline', () => archiving({ storage: swift({ container: 'walg\narchive' }) }), `Invalid storage.container "walg\\narchive" in ${PATH}: ${SINGLE_LINE}.`],
  ['empty Swift container', () => archiving({ storage: swift({ container: '' }) }), `Invalid storage.container "" in ${PATH}: ${SWIFT_CONTAINER}.`],

  // --- prefixes --------------------------------------------------------------------------------------
  ['empty prefix', () => archiving({ storage: s3({ prefix: '' }) }), `Invalid storage.prefix "" in ${PATH}: expected a relative path such as "prod/orders"; leave prefix out to use the root of the bucket.`],
  ['prefix with a leading "/"', () => archiving({ storage: s3({ prefix: '/prod/orders' }) }), `Invalid storage.prefix "/prod/orders" in ${PATH}: ${PREFIX}.`],
  ['prefix with a trailing "/"', () => archiving({ storage: gcs({ prefix: 'prod/orders/' }) }), `Invalid storage.prefix "prod/orders/" in ${PATH}: ${PREFIX}.`],
  ['prefix with an empty segment', () => archiving({ storage: azure({ prefix: 'prod//orders' }) }), `Invalid storage.prefix "prod//orders" in ${PATH}: ${PREFIX}.`],
  ['prefix with ".."', () => archiving({ storage: swift({ prefix: 'prod/../orders' }) }), `Invalid storage.prefix "prod/../orders" in ${PATH}: ${PREFIX}.`],
  ['prefix with "."', () => archiving({ storage: minio({ prefix: './orders' }) }), `Invalid storage.prefix "./orders" in ${PATH}: ${PREFIX}.`],
  ['prefix of 513 characters', () => archiving({ storage: s3({ prefix: 'p'.repeat(513) }) }), `Invalid storage.prefix "${'p'.repeat(513)}" in ${PATH}: ${PREFIX}.`],
  ['prefix with a newline', () => archiving({ storage: s3({ prefix: 'prod\norders' }) }), `Invalid storage.prefix "prod\\norders" in ${PATH}: ${SINGLE_LINE}.`],
  ['prefix with a carriage return', () => archiving({ storage: gcs({ prefix: 'prod\rorders' }) }), `Invalid storage.prefix "prod\\rorders" in ${PATH}: ${SINGLE_LINE}.`],
  ['prefix that is a number', () => archiving({ storage: s3({ prefix: 42 }) }), `Invalid storage.prefix 42 in ${PATH}: expected a relative path such as "prod/orders"; leave prefix out to use the root of the bucket.`],
  // WAL-G reads cloud prefixes in a URL (Go's url.Parse): "#" and "?" end the path, "%" starts an escape.
  ...CLOUD.flatMap(([title, make]): Array<[string, () => unknown, string]> => [
    [`${title} prefix with "#"`, () => archiving({ storage: make({ prefix: 'shop/orders#eu' }) }), `Invalid storage.prefix "shop/orders#eu" in ${PATH}: ${urlPrefix('#', 'use the prefix "shop/orders"')}.`],
    [`${title} prefix with "?"`, () => archiving({ storage: make({ prefix: 'shop/orders?region=eu' }) }), `Invalid storage.prefix "shop/orders?region=eu" in ${PATH}: ${urlPrefix('?', 'use the prefix "shop/orders"')}.`],
    [`${title} prefix with an escape`, () => archiving({ storage: make({ prefix: 'shop/%6Frders' }) }), `Invalid storage.prefix "shop/%6Frders" in ${PATH}: ${urlPrefix('%', 'use the prefix "shop/orders"')}.`],
    [`${title} prefix with a "%" that is no escape`, () => archiving({ storage: make({ prefix: 'shop/100%' }) }), `Invalid storage.prefix "shop/100%" in ${PATH}: ${urlPrefix('%', BAD_ESCAPE)}.`],
  ]),
  ['prefix that starts with "#"', () => archiving({ storage: gcs({ prefix: '#orders' }) }), `Invalid storage.prefix "#orders" in ${PATH}: ${urlPrefix('#', 'use the root of the bucket or container')}.`],
  ['prefix with an escaped "/"', () => archiving({ storage: s3({ prefix: 'shop%2Forders' }) }), `Invalid storage.prefix "shop%2Forders" in ${PATH}: ${urlPrefix('%', 'use the prefix "shop/orders"')}.`],
  ['prefix with a "?" and then a "#"', () => archiving({ storage: azure({ prefix: 'shop/orders?x#y' }) }), `Invalid storage.prefix "shop/orders?x#y" in ${PATH}: ${urlPrefix('?', 'use the prefix "shop/orders"')}.`],
  ['prefix with a "%" that is no escape after a "#"', () => archiving({ storage: swift({ prefix: 'shop/orders#100%' }) }), `Invalid storage.prefix "shop/orders#100%" in ${PATH}: ${urlPrefix('#', BAD_ESCAPE)}.`],
  ['Local prefix with ".."', () => archivingTo((c) => WalStorage.local(V, { volume: pvc(c), mountPath: '/var/walg-archive', prefix: '../etc' })), `Invalid storage.prefix "../etc" in ${PATH}: ${PREFIX}.`],

  // --- endpoints and CA ------------------------------------------------------------------------------
  ['MinIO endpoint without a scheme', () => archiving({ storage: minio({ endpoint: 'minio.storage.svc:9000' }) }), `Invalid storage.endpoint "minio.storage.svc:9000" in ${PATH}: ${HTTPS_URL}.`],
  ['MinIO endpoint that is not a URL', () => archiving({ storage: minio({ endpoint: 'not a url' }) }), `Invalid storage.endpoint "not a url" in ${PATH}: ${HTTPS_URL}.`],
  ['MinIO endpoint with ftp://', () => archiving({ storage: minio({ endpoint: 'ftp://minio.storage.svc:21' }) }), `Invalid storage.endpoint "ftp://minio.storage.svc:21" in ${PATH}: ${HTTPS_URL}.`],
  ['MinIO endpoint over http without the opt-in', () => archiving({ storage: minio({ endpoint: 'http://minio.storage.svc:9000' }) }), `Invalid storage.endpoint "http://minio.storage.svc:9000" in ${PATH}: expected an https URL; set allowInsecureEndpoint: true to send credentials and data over plain http.`],
  ...[PostgresVersion.V10_6, PostgresVersion.V9_6_V3].map((v): [string, () => unknown, string] => [
    `S3 with a custom endpoint on ${v.name}, which archives to Amazon S3 only`,
    () => archiving({ storage: WalStorage.s3(v, { bucket: 'walg-archive', endpoint: 'https://minio.storage.svc:9000', credentials: secret() }) }),
    `Invalid storage.endpoint "https://minio.storage.svc:9000" in ${PATH}: PostgresVersion ${v.name} archives to Amazon S3 only (endpoints under amazonaws.com), and a custom endpoint (MinIO or another S3-compatible service) ` +
    'needs a version that supports MinIO: 9.6-v4, 9.6.7-v4, 10.2-v4, 10.6-v2, 11.1-v2, 11.2, 9.6-v5, 9.6.7-v5, 10.2-v5, 10.6-v3, 11.1-v3, 11.2-v1, 14, 15, 16, 17, 18, or PostgresVersion.custom(). Leave endpoint out to use Amazon S3.',
  ]),
  ['S3 endpoint over http without the opt-in', () => archiving({ storage: s3({ endpoint: 'http://s3.internal.example' }) }), `Invalid storage.endpoint "http://s3.internal.example" in ${PATH}: expected an https URL; set allowInsecureEndpoint: true to send credentials and data over plain http.`],
  ['MinIO endpoint with credentials in the URL', () => archiving({ storage: minio({ endpoint: 'https://key:secret@minio.storage.svc:9000' }) }), `Invalid storage.endpoint "https://key:secret@minio.storage.svc:9000" in ${PATH}: expected a URL with only a scheme, a host and a port (credentials go into the credentials, the path into bucket and prefix).`],
  ['MinIO endpoint with a path', () => archiving({ storage: minio({ endpoint: 'https://minio.storage.svc:9000/walg' }) }), `Invalid storage.endpoint "https://minio.storage.svc:9000/walg" in ${PATH}: expected a URL with only a scheme, a host and a port (credentials go into the credentials, the path into bucket and prefix).`],
  ['MinIO endpoint with a query', () => archiving({ storage: minio({ endpoint: 'https://minio.storage.svc:9000?region=x' }) }), `Invalid storage.endpoint "https://minio.storage.svc:9000?region=x" in ${PATH}: expected a URL with only a scheme, a host and a port (credentials go into the credentials, the path into bucket and prefix).`],
  ['MinIO endpoint with a newline (the URL parser would drop it)', () => archiving({ storage: minio({ endpoint: 'https://minio.storage.svc\nAWS_S3_FORCE_PATH_STYLE=false' }) }), `Invalid storage.endpoint "https://minio.storage.svc\\nAWS_S3_FORCE_PATH_STYLE=false" in ${PATH}: ${SINGLE_LINE}.`],
  ['MinIO without an endpoint', () => archiving({ storage: minio({ endpoint: undefined }) }), `Invalid storage.endpoint (missing) in ${PATH}: ${HTTPS_URL}.`],
  ['allowInsecureEndpoint that is a string', () => archiving({ storage: minio({ endpoint: 'http://minio:9000', allowInsecureEndpoint: 'true' }) }), `Invalid storage.allowInsecureEndpoint "true" in ${PATH}: expected true or false.`],
  ['CA with an http endpoint', () => archiving({ storage: minio({ endpoint: 'http://minio:9000', allowInsecureEndpoint: true, caCertificate: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----' }) }), `Invalid storage.caCertificate "-----BEGIN CERTIFICATE-----…" in ${PATH}: a custom CA only applies to an https endpoint; set endpoint to the https URL it signs.`],
  ['CA without an endpoint (S3)', () => archiving({ storage: s3({ caCertificate: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----' }) }), `Invalid storage.caCertificate "-----BEGIN CERTIFICATE-----…" in ${PATH}: a custom CA only applies to an https endpoint; set endpoint to the https URL it signs.`],
  ['CA that is not PEM', () => archiving({ storage: minio({ caCertificate: 'MIIBkDCCATegAwIBAgIUSgOH2mdtFV3zYtqrpgaO8mpzrrgw' }) }), `Invalid storage.caCertificate "MIIBkDCCATegAwIBAgIUSgOH2mdtFV3zYtqrpgaO…" in ${PATH}: expected a PEM CA bundle ("-----BEGIN CERTIFICATE-----" …).`],
  ['Azure endpoint suffix with spaces', () => archiving({ storage: azure({ endpointSuffix: 'core windows net' }) }), `Invalid storage.endpointSuffix "core windows net" in ${PATH}: expected a DNS suffix such as "core.windows.net".`],
  ['S3 region with upper case and a space', () => archiving({ storage: s3({ region: 'EU West' }) }), `Invalid storage.region "EU West" in ${PATH}: expected a region name such as "eu-west-1".`],
  ['S3 storage class in lower case', () => archiving({ storage: s3({ storageClass: 'standard-ia' }) }), `Invalid storage.storageClass "standard-ia" in ${PATH}: expected an S3 storage class such as "STANDARD_IA".`],
  ['S3 maxRetries of 101', () => archiving({ storage: WalStorage.s3(V3, { bucket: 'walg-archive', credentials: secret(), maxRetries: 101 }) }), `Invalid storage.maxRetries 101 in ${PATH}: expected a whole number from 0 to 100.`],
  ['GCS maxRetries of -1', () => archiving({ storage: WalStorage.gcs(V3, { bucket: 'walg-archive', credentials: GcsCredentials.fromSecret('gcs-walg'), maxRetries: -1 }) }), `Invalid storage.maxRetries -1 in ${PATH}: expected a whole number from 0 to 100.`],
  // --- settings the version's WAL-G would ignore (refused, never dropped) ------------------------------
  ['S3 maxRetries with WAL-G 0.2.13', () => archiving({ storage: s3({ maxRetries: 5 }) }), `Invalid storage.maxRetries 5 in ${PATH}: PostgresVersion 11.2-v1 bundles WAL-G 0.2.13, which ignores WALG_S3_MAX_RETRIES; WAL-G 1.1.2 and later read it. Leave storage.maxRetries out, or use a version whose WAL-G reads it: 14, 15, 16, 17, 18, or PostgresVersion.custom() with walgVersion "1.1.2" or later.`],
  ['GCS maxRetries with WAL-G 0.2.13', () => archiving({ storage: gcs({ maxRetries: 5 }) }), `Invalid storage.maxRetries 5 in ${PATH}: PostgresVersion 11.2-v1 bundles WAL-G 0.2.13, which ignores GCS_MAX_RETRIES; WAL-G 0.2.20 and later read it. Leave storage.maxRetries out, or use a version whose WAL-G reads it: 14, 15, 16, 17, 18, or PostgresVersion.custom() with walgVersion "0.2.20" or later.`],
  ['GCS contextTimeout with WAL-G 0.2.7', () => archiving({ storage: WalStorage.gcs(PostgresVersion.V11_1_V1, { bucket: 'walg-archive', credentials: GcsCredentials.fromSecret('gcs-walg'), contextTimeout: Duration.minutes(5) }) }), `Invalid storage.contextTimeout "300 seconds" in ${PATH}: PostgresVersion 11.1-v1 bundles WAL-G 0.2.7, which ignores GCS_CONTEXT_TIMEOUT; WAL-G 0.2.10 and later read it. Leave storage.contextTimeout out, or use a version whose WAL-G reads it: 9.6-v5, 9.6.7-v5, 10.2-v5, 10.6-v3, 11.1-v3, 11.2-v1, 14, 15, 16, 17, 18, or PostgresVersion.custom() with walgVersion "0.2.10" or later.`],
  ['MinIO caCertificate with WAL-G 0.2.9', () => archiving({ storage: WalStorage.minio(PostgresVersion.V11_2, { bucket: 'walg', endpoint: 'https://minio.storage.svc:9000', credentials: secret(), caCertificate: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' }) }), `Invalid storage.caCertificate "-----BEGIN CERTIFICATE-----…" in ${PATH}: PostgresVersion 11.2 bundles WAL-G 0.2.9, which ignores WALG_S3_CA_CERT_FILE; WAL-G 0.2.10 and later read it. Leave storage.caCertificate out, or use a version whose WAL-G reads it: 9.6-v5, 9.6.7-v5, 10.2-v5, 10.6-v3, 11.1-v3, 11.2-v1, 14, 15, 16, 17, 18, or PostgresVersion.custom() with walgVersion "0.2.10" or later.`],
  ['Azure endpointSuffix of a sovereign cloud with WAL-G 0.2.13', () => archiving({ storage: azure({ endpointSuffix: 'core.chinacloudapi.cn' }) }), `Invalid storage.endpointSuffix "core.chinacloudapi.cn" in ${PATH}: PostgresVersion 11.2-v1 bundles WAL-G 0.2.13, which ignores AZURE_ENVIRONMENT_NAME; WAL-G 0.2.20 and later read it. Use a version whose WAL-G reads it: 14, 15, 16, 17, 18, or PostgresVersion.custom() with walgVersion "0.2.20" or later.`],
  ['Azure endpointSuffix of an emulator with WAL-G 1.1', () => archiving({ storage: WalStorage.azure(PostgresVersion.custom({ name: '11-walg1', serverVersion: '11.22', image: 'example.com/pg:11', walgVersion: '1.1.3' }), { container: 'walg', credentials: AzureCredentials.fromSecret('azure-walg'), endpointSuffix: 'blob.example.internal:8443' }) }), `Invalid storage.endpointSuffix "blob.example.internal:8443" in ${PATH}: PostgresVersion 11-walg1 bundles WAL-G 1.1.3, which ignores AZURE_ENDPOINT_SUFFIX; WAL-G 2.0.0 and later read it. Use a version whose WAL-G reads it: 14, 15, 16, 17, 18, or PostgresVersion.custom() with walgVersion "2.0.0" or later.`],
  ['S3 pod identity with WAL-G 0.2.13', () => archiving({ storage: s3({ credentials: S3Credentials.fromPodIdentity('walg-irsa') }) }), `Invalid storage.credentials "S3Credentials.fromPodIdentity" in ${PATH}: PostgresVersion 11.2-v1 bundles WAL-G 0.2.13, which ignores AWS_WEB_IDENTITY_TOKEN_FILE (IRSA); WAL-G 2.0.0 and later read it. Use S3Credentials.fromSecret() or .fromAccessKey(), or use a version whose WAL-G reads it: 14, 15, 16, 17, 18, or PostgresVersion.custom() with walgVersion "2.0.0" or later.`],
  ['Azure workload identity with WAL-G 0.2.13', () => archiving({ storage: azure({ credentials: AzureCredentials.fromWorkloadIdentity('walg-azure', 'walgarchive') }) }), `Invalid storage.credentials "AzureCredentials.fromWorkloadIdentity" in ${PATH}: PostgresVersion 11.2-v1 bundles WAL-G 0.2.13, which ignores AZURE_FEDERATED_TOKEN_FILE (Azure workload identity); WAL-G 3.0.8 and later read it. Use AzureCredentials.fromSecret() or .fromAccountKey(), or use a version whose WAL-G reads it: 14, 15, 16, 17, 18, or PostgresVersion.custom() with walgVersion "3.0.8" or later.`],
  ['Azure workload identity with WAL-G 3.0.7 (its default chain has no workload identity)', () => archiving({ storage: WalStorage.azure(V3, { container: 'walg', credentials: AzureCredentials.fromWorkloadIdentity('walg-azure', 'walgarchive') }) }), `Invalid storage.credentials "AzureCredentials.fromWorkloadIdentity" in ${PATH}: PostgresVersion 17.2-walg3 bundles WAL-G 3.0.7, which ignores AZURE_FEDERATED_TOKEN_FILE (Azure workload identity); WAL-G 3.0.8 and later read it. Use AzureCredentials.fromSecret() or .fromAccountKey(), or use a version whose WAL-G reads it: 14, 15, 16, 17, 18, or PostgresVersion.custom() with walgVersion "3.0.8" or later.`],
  ['Azure workload identity service account with "_"', () => archiving({ storage: WalStorage.azure(PostgresVersion.V17, { container: 'walg', credentials: AzureCredentials.fromWorkloadIdentity('walg_azure', 'walgarchive') }) }), `Invalid storage.credentials service account name "walg_azure" in ${PATH}: ${OBJECT_NAME}.`],
  ['Azure workload identity with an upper-case account name', () => AzureCredentials.fromWorkloadIdentity('walg-azure', 'WalgArchive'), 'Invalid accountName "WalgArchive" in AzureCredentials.fromWorkloadIdentity(): expected an Azure storage account name: 3 to 24 lower-case letters and digits.'],
  ['Azure workload identity without a service account', () => AzureCredentials.fromWorkloadIdentity('', 'walgarchive'), 'Invalid serviceAccountName "" in AzureCredentials.fromWorkloadIdentity(): expected a non-empty string.'],
  ['forcePathStyle that is a string', () => archiving({ storage: s3({ forcePathStyle: 'yes' }) }), `Invalid storage.forcePathStyle "yes" in ${PATH}: expected true or false.`],

  // --- recovery targets ------------------------------------------------------------------------------
  ['time without a time zone', target({ time: '2026-11-23T10:15:00' }), `Invalid recoveryTarget.time "2026-11-23T10:15:00" in ${PATH}: ${TIME}.`],
  ['time with a zone name', target({ time: '2026-11-23 10:15:00 Europe/Paris' }), `Invalid recoveryTarget.time "2026-11-23 10:15:00 Europe/Paris" in ${PATH}: ${TIME}.`],
  ['time on 30 February', target({ time: '2026-02-30T10:00:00Z' }), `Invalid recoveryTarget.time "2026-02-30T10:00:00Z" in ${PATH}: expected a real date and time (this one does not exist).`],
  ['time at hour 25', target({ time: '2026-11-23T25:00:00Z' }), `Invalid recoveryTarget.time "2026-11-23T25:00:00Z" in ${PATH}: expected a real date and time (this one does not exist).`],
  ['time at second 60', target({ time: '2026-11-23T10:15:60Z' }), `Invalid recoveryTarget.time "2026-11-23T10:15:60Z" in ${PATH}: expected a real date and time (this one does not exist).`],
  ['time that is a word', target({ time: 'yesterday' }), `Invalid recoveryTarget.time "yesterday" in ${PATH}: ${TIME}.`],
  ['time with an offset beyond 15 hours', target({ time: '2026-11-23T10:15:00+16:00' }), `Invalid recoveryTarget.time "2026-11-23T10:15:00+16:00" in ${PATH}: expected a time zone offset between -15:00 and +15:00.`],
  ['LSN with non-hexadecimal digits', target({ lsn: '0/XYZ' }), `Invalid recoveryTarget.lsn "0/XYZ" in ${PATH}: ${LSN}.`],
  ['LSN without "/"', target({ lsn: '3000060' }), `Invalid recoveryTarget.lsn "3000060" in ${PATH}: ${LSN}.`],
  ['LSN on PostgreSQL 9.6', () => restored({ source: WalStorage.s3(PostgresVersion.V9_6_V2, { bucket: 'walg-archive', credentials: secret() }), recoveryTarget: { lsn: '0/3000060' } }), `Invalid recoveryTarget.lsn "0/3000060" in ${PATH}: an LSN target needs PostgreSQL 10 or later, and 9.6-v2 runs PostgreSQL 9.6; use time, xid or name.`],
  ['xid that is not a number', target({ xid: 'abc' }), `Invalid recoveryTarget.xid "abc" in ${PATH}: ${XID}.`],
  ['negative xid', target({ xid: '-5' }), `Invalid recoveryTarget.xid "-5" in ${PATH}: ${XID}.`],
  ['xid below 3', target({ xid: '2' }), `Invalid recoveryTarget.xid "2" in ${PATH}: ${XID}.`],
  ['xid given as a number', target({ xid: 1234 }), `Invalid recoveryTarget.xid 1234 in ${PATH}: ${XID}.`],
  ['time and xid', target({ time: '2026-11-23T10:15:00Z', xid: '1234' }), `Invalid recoveryTarget {"time":"2026-11-23T10:15:00Z","xid":"1234"} in ${PATH}: expected at most one of time, xid, name, lsn and immediate (got time and xid).`],
  ['name and immediate', target({ name: 'before-migration', immediate: true }), `Invalid recoveryTarget {"name":"before-migration","immediate":true} in ${PATH}: expected at most one of time, xid, name, lsn and immediate (got name and immediate).`],
  ['restore point name of 64 bytes', target({ name: 'n'.repeat(64) }), `Invalid recoveryTarget.name "${'n'.repeat(64)}" in ${PATH}: expected a restore point name of at most 63 bytes.`],
  ['restore point name with a newline', target({ name: 'before\nmigration' }), `Invalid recoveryTarget.name "before\\nmigration" in ${PATH}: ${SINGLE_LINE}.`],
  ['immediate that is a string', target({ immediate: 'yes' }), `Invalid recoveryTarget.immediate "yes" in ${PATH}: expected true or false.`],
  ['inclusive with a named target', target({ name: 'before-migration', inclusive: false }), `Invalid recoveryTarget.inclusive false in ${PATH}: inclusive applies only to a time, xid or lsn target.`],
  ['inclusive that is a string', target({ xid: '1234', inclusive: 'false' }), `Invalid recoveryTarget.inclusive "false" in ${PATH}: expected true or false.`],
  ['timeline that is a word', target({ timeline: 'newest' }), `Invalid recoveryTarget.timeline "newest" in ${PATH}: expected "latest", "current" or a timeline number such as "2".`],
  ['timeline 0', target({ timeline: '0' }), `Invalid recoveryTarget.timeline "0" in ${PATH}: expected "latest", "current" or a timeline number such as "2".`],

  // --- backups and archiving options -----------------------------------------------------------------
  ['backup name in lower case', () => restored({ backupName: 'latest' }), `Invalid backupName "latest" in ${PATH}: ${BACKUP}.`],
  ['backup name that is too short', () => restored({ backupName: 'base_123' }), `Invalid backupName "base_123" in ${PATH}: ${BACKUP}.`],
  ['backup name with a shell command', () => restored({ backupName: 'base_000000010000000000000002; rm -rf /' }), `Invalid backupName "base_000000010000000000000002; rm -rf /" in ${PATH}: ${BACKUP}.`],
  ['empty backup name', () => restored({ backupName: '' }), `Invalid backupName "" in ${PATH}: ${BACKUP}.`],
  ['archive timeout of 0', () => archiving({ archiveTimeout: Duration.seconds(0) }), `Invalid archiveTimeout "0 seconds" in ${PATH}: ${SECONDS}.`],
  ['archive timeout of 1.5 s', () => archiving({ archiveTimeout: Duration.millis(1500) }), `Invalid archiveTimeout "1.5 seconds" in ${PATH}: ${SECONDS}.`],
  ['archive timeout that is a number', () => archiving({ archiveTimeout: 60 }), `Invalid archiveTimeout 60 in ${PATH}: expected a Duration such as Duration.seconds(60).`],
  ['base backup interval of 0', () => archiving({ baseBackupInterval: Duration.seconds(0) }), `Invalid baseBackupInterval "0 seconds" in ${PATH}: ${SECONDS}.`],
  ['negative retention', () => archiving({ retainBaseBackups: -1 }), `Invalid retainBaseBackups -1 in ${PATH}: expected a whole number, 0 or more.`],
  ['fractional retention', () => archiving({ retainBaseBackups: 1.5 }), `Invalid retainBaseBackups 1.5 in ${PATH}: expected a whole number, 0 or more.`],
  ['retainFor that is a number', () => archiving({ retainFor: 14 }), `Invalid retainFor 14 in ${PATH}: expected a Duration such as Duration.days(14).`],
  ['retainFor of 0', () => archiving({ retainFor: Duration.seconds(0) }), `Invalid retainFor "0 seconds" in ${PATH}: expected a whole number of seconds, at least baseBackupInterval (86400 s).`],
  ['retainFor of 1.5 s', () => archiving({ retainFor: Duration.millis(1500), baseBackupInterval: Duration.seconds(1) }), `Invalid retainFor "1.5 seconds" in ${PATH}: expected a whole number of seconds, at least baseBackupInterval (1 s).`],
  ['retainFor shorter than the default baseBackupInterval', () => archiving({ retainFor: Duration.hours(12) }), `Invalid retainFor "43200 seconds" in ${PATH}: ${SHORT_WINDOW(86400)}.`],
  ['retainFor shorter than baseBackupInterval', () => archiving({ retainFor: Duration.hours(5), baseBackupInterval: Duration.hours(6) }), `Invalid retainFor "18000 seconds" in ${PATH}: ${SHORT_WINDOW(21600)}.`],
  ['retainFor with retainBaseBackups 0', () => archiving({ retainFor: Duration.days(14), retainBaseBackups: 0 }), `Invalid retainBaseBackups 0 in ${PATH}: expected at least 1 with retainFor: 0 keeps every backup, so retainFor would delete nothing (leave retainBaseBackups out to keep at least the newest full backup).`],
  ['retainFor with a fractional retainBaseBackups', () => archiving({ retainFor: Duration.days(14), retainBaseBackups: 2.5 }), `Invalid retainBaseBackups 2.5 in ${PATH}: expected a whole number, 0 or more.`],
  ['retainFor on a restore that does not archive', () => restored({ retainFor: Duration.days(14) }), `Invalid retainFor "1209600 seconds" in ${PATH}: expected no archiving option without an archive; set archive to archive onward.`],
  ['deltaMaxSteps of 0', () => archiving({ deltaMaxSteps: 0 }), `Invalid deltaMaxSteps 0 in ${PATH}: expected a whole number from 1 to 1000.`],
  ['deltaMaxSteps of 1001', () => archiving({ deltaMaxSteps: 1001 }), `Invalid deltaMaxSteps 1001 in ${PATH}: expected a whole number from 1 to 1000.`],
  ['fractional deltaMaxSteps', () => archiving({ deltaMaxSteps: 2.5 }), `Invalid deltaMaxSteps 2.5 in ${PATH}: expected a whole number from 1 to 1000.`],
  ['deltaMaxSteps that is a string', () => archiving({ deltaMaxSteps: '6' }), `Invalid deltaMaxSteps "6" in ${PATH}: expected a whole number from 1 to 1000.`],
  ['deltaMaxSteps on a restore that does not archive', () => restored({ deltaMaxSteps: 6 }), `Invalid deltaMaxSteps 6 in ${PATH}: expected no archiving option without an archive; set archive to archive onward.`],
  ['deltaMaxSteps with WAL-G 0.1.2', () => archiving({ storage: WalStorage.s3(WALG_0_1_2, { bucket: 'walg-archive', credentials: secret() }), deltaMaxSteps: 6 }),
    `Invalid deltaMaxSteps 6 in ${PATH}: PostgresVersion 11-walg012 bundles WAL-G 0.1.2, which ignores WALG_DELTA_MAX_STEPS; WAL-G 0.1.3 and later read it. Leave deltaMaxSteps out, ` +
    `or use a version whose WAL-G reads it: ${CATALOG.map((e) => e.name).join(', ')}, or PostgresVersion.custom() with walgVersion "0.1.3" or later.`],
  ['storageAttempts of 0', () => archiving({ storageAttempts: 0 }), `Invalid storageAttempts 0 in ${PATH}: expected a whole number from 1 to 1000.`],
  ['storageAttempts of 1001', () => archiving({ storageAttempts: 1001 }), `Invalid storageAttempts 1001 in ${PATH}: expected a whole number from 1 to 1000.`],
  ['storage retry interval of 0.5 s', () => archiving({ storageRetryInterval: Duration.millis(500) }), `Invalid storageRetryInterval "0.5 seconds" in ${PATH}: ${SECONDS}.`],
  ['base backup timeout of 1.5 s', () => archiving({ baseBackupTimeout: Duration.millis(1500) }), `Invalid baseBackupTimeout "1.5 seconds" in ${PATH}: ${SECONDS}.`],
  ['base backup timeout that is a number', () => archiving({ baseBackupTimeout: 3600 }), `Invalid baseBackupTimeout 3600 in ${PATH}: expected a Duration such as Duration.seconds(60).`],
  ['base backup timeout on a restore that does not archive', () => restored({ baseBackupTimeout: Duration.hours(1) }), `Invalid baseBackupTimeout "3600 seconds" in ${PATH}: expected no archiving option without an archive; set archive to archive onward.`],
  ['base backup fetch timeout of 0', () => restored({ baseBackupFetchTimeout: Duration.seconds(0) }), `Invalid baseBackupFetchTimeout "0 seconds" in ${PATH}: ${SECONDS}.`],
  ['base backup fetch timeout that is a string', () => restored({ baseBackupFetchTimeout: '1h' }), `Invalid baseBackupFetchTimeout "1h" in ${PATH}: expected a Duration such as Duration.seconds(60).`],
  ['archive timeout on a restore that does not archive', () => restored({ archiveTimeout: Duration.seconds(30) }), `Invalid archiveTimeout "30 seconds" in ${PATH}: expected no archiving option without an archive; set archive to archive onward.`],
  ['allowNonEmptyArchive that is a string', () => archiving({ allowNonEmptyArchive: 'yes' }), `Invalid allowNonEmptyArchive "yes" in ${PATH}: expected true or false.`],

  // --- quantities and other instance options ---------------------------------------------------------
  ['storage size "10GB"', () => archiving({ storageSize: '10GB' }), `Invalid storageSize "10GB" in ${PATH}: ${quantity('10Gi')}.`],
  ['storage size "0"', () => archiving({ storageSize: '0' }), `Invalid storageSize "0" in ${PATH}: ${quantity('10Gi')}.`],
  ['negative storage size', () => archiving({ storageSize: '-1Gi' }), `Invalid storageSize "-1Gi" in ${PATH}: ${quantity('10Gi')}.`],
  ['storage size that is a word', () => archiving({ storageSize: 'ten' }), `Invalid storageSize "ten" in ${PATH}: ${quantity('10Gi')}.`],
  ['CPU request with a space', () => archiving({ resources: { cpuRequest: '250 m' } }), `Invalid resources.cpuRequest "250 m" in ${PATH}: ${quantity('250m')}.`],
  ['memory limit "1gb"', () => archiving({ resources: { memoryLimit: '1gb' } }), `Invalid resources.memoryLimit "1gb" in ${PATH}: ${quantity('1Gi')}.`],
  ['CPU limit "0"', () => archiving({ resources: { cpuLimit: '0' } }), `Invalid resources.cpuLimit "0" in ${PATH}: ${quantity('1')}.`],
  ['memory request that is a number', () => archiving({ resources: { memoryRequest: 512 } }), `Invalid resources.memoryRequest 512 in ${PATH}: ${quantity('512Mi')}.`],
  ['managed parameter archive_mode', () => archiving({ parameters: { archive_mode: 'off' } }), `Invalid parameters "archive_mode" in ${PATH}: this parameter is managed by ArchivingPostgres; managed parameters are archive_mode, archive_command, archive_timeout, wal_level, restore_command, listen_addresses, port, unix_socket_directories, hba_file, data_directory, config_file, include, include_if_exists, include_dir.`],
  ['parameter name with "-"', () => archiving({ parameters: { 'max-connections': '200' } }), `Invalid parameters "max-connections" in ${PATH}: expected a PostgreSQL parameter name such as "max_connections".`],
  ['parameter value with a newline', () => archiving({ parameters: { work_mem: "4MB'\narchive_command = 'sh -c id'" } }), `Invalid parameters.work_mem "4MB'\\narchive_command = 'sh -c id'" in ${PATH}: ${SINGLE_LINE}.`],
  ['image pull policy that does not exist', () => archiving({ imagePullPolicy: 'Sometimes' as ImagePullPolicy }), `Invalid imagePullPolicy "Sometimes" in ${PATH}: expected one of Always, IfNotPresent, Never.`],

  // --- pod options: scheduling ---------------------------------------------------------------------------
  ['nodeSelector key with a space', () => archiving({ nodeSelector: { 'disk type': 'ssd' } }), `Invalid nodeSelector "disk type" in ${PATH}: ${LABEL_KEY}.`],
  ['nodeSelector key with an upper-case prefix', () => restored({ nodeSelector: { 'Example.com/pool': 'db' } }), `Invalid nodeSelector "Example.com/pool" in ${PATH}: ${LABEL_KEY}.`],
  ['nodeSelector value of 64 characters', () => archiving({ nodeSelector: { disktype: 's'.repeat(64) } }), `Invalid nodeSelector.disktype "${'s'.repeat(64)}" in ${PATH}: ${LABEL_VALUE}.`],
  ['nodeSelector value that is a number', () => restored({ nodeSelector: { 'node.example.com/gen': 5 } }), `Invalid nodeSelector.node.example.com/gen 5 in ${PATH}: ${LABEL_VALUE}.`],
  ['nodeSelector that is a list', () => archiving({ nodeSelector: ['disktype=ssd'] }), `Invalid nodeSelector ["disktype=ssd"] in ${PATH}: expected an object of node label keys and values.`],
  ['toleration operator "Equals"', () => archiving({ tolerations: [{ key: 'dedicated', operator: 'Equals', value: 'db' }] }), `Invalid tolerations[0].operator "Equals" in ${PATH}: expected "Equal" or "Exists".`],
  ['toleration effect "NoScheduling"', () => archiving({ tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'NoScheduling' }] }), `Invalid tolerations[0].effect "NoScheduling" in ${PATH}: expected "NoSchedule", "PreferNoSchedule" or "NoExecute" (or none: every effect).`],
  ['toleration "Exists" with a value', () => restored({ tolerations: [{ key: 'dedicated', operator: 'Exists', value: 'db' }] }), `Invalid tolerations[0].value "db" in ${PATH}: expected no value with operator "Exists".`],
  ['toleration "Equal" without a key', () => archiving({ tolerations: [{ value: 'db', effect: 'NoSchedule' }] }), `Invalid tolerations[0].key (missing) in ${PATH}: expected a taint key with operator "Equal" (only "Exists" may leave it out, to tolerate every taint).`],
  ['toleration key with a space', () => archiving({ tolerations: [{ key: 'dedicated node', operator: 'Exists' }] }), `Invalid tolerations[0].key "dedicated node" in ${PATH}: expected a taint key such as "dedicated" or "example.com/dedicated".`],
  ['toleration value with a space', () => archiving({ tolerations: [{ key: 'dedicated', value: 'data base' }] }), `Invalid tolerations[0].value "data base" in ${PATH}: ${LABEL_VALUE}.`],
  ['tolerationSeconds with effect NoSchedule', () => archiving({ tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule', tolerationSeconds: 60 }] }), `Invalid tolerations[0].tolerationSeconds 60 in ${PATH}: expected effect "NoExecute" with tolerationSeconds (only a NoExecute taint evicts a running pod).`],
  ['tolerationSeconds of 1.5', () => restored({ tolerations: [{ key: 'a', operator: 'Exists' }, { key: 'b', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 1.5 }] }), `Invalid tolerations[1].tolerationSeconds 1.5 in ${PATH}: expected a whole number, 0 or more.`],
  ['toleration with a misspelt field', () => archiving({ tolerations: [{ key: 'a', operator: 'Exists', effect: 'NoExecute', tolerationSecond: 5 }] }), `Invalid tolerations[0].tolerationSecond 5 in ${PATH}: expected a field of k8s.Toleration: effect, key, operator, tolerationSeconds, value.`],
  ['tolerations that are not a list', () => archiving({ tolerations: { key: 'a' } }), `Invalid tolerations {"key":"a"} in ${PATH}: expected a list of k8s.Toleration.`],
  ['a toleration that is a string', () => archiving({ tolerations: ['dedicated=db:NoSchedule'] }), `Invalid tolerations[0] "dedicated=db:NoSchedule" in ${PATH}: expected a k8s.Toleration.`],
  ['required node affinity without terms', () => archiving(nodeTerms([])), `Invalid ${NODE_REQUIRED} [] in ${PATH}: expected at least one node selector term (a node matches if it matches any term).`],
  ['an empty node selector term', () => archiving(nodeTerms([{}])), `Invalid ${NODE_REQUIRED}[0] {} in ${PATH}: expected a term with at least one requirement in matchExpressions or matchFields (an empty term matches no node).`],
  ['node requirement operator "Equals"', () => archiving(nodeRequirement({ key: 'kubernetes.io/arch', operator: 'Equals', values: ['amd64'] })), `Invalid ${NODE_REQUIRED}[0].matchExpressions[0].operator "Equals" in ${PATH}: expected one of In, NotIn, Exists, DoesNotExist, Gt, Lt.`],
  ['node requirement "In" without values', () => restored(nodeRequirement({ key: 'kubernetes.io/arch', operator: 'In' })), `Invalid ${NODE_REQUIRED}[0].matchExpressions[0].values (missing) in ${PATH}: expected at least one value with operator "In".`],
  ['node requirement "Exists" with values', () => archiving(nodeRequirement({ key: 'gpu', operator: 'Exists', values: ['true'] })), `Invalid ${NODE_REQUIRED}[0].matchExpressions[0].values ["true"] in ${PATH}: expected no values with operator "Exists".`],
  ['node requirement "Gt" with a word', () => archiving(nodeRequirement({ key: 'node.example.com/cores', operator: 'Gt', values: ['many'] })), `Invalid ${NODE_REQUIRED}[0].matchExpressions[0].values ["many"] in ${PATH}: expected one whole number as a string, such as ["3"], with operator "Gt".`],
  ['node requirement key with a space', () => archiving(nodeRequirement({ key: 'cpu arch', operator: 'Exists' })), `Invalid ${NODE_REQUIRED}[0].matchExpressions[0].key "cpu arch" in ${PATH}: ${LABEL_KEY}.`],
  ['node field requirement on a label', () => archiving(nodeTerms([{ matchFields: [{ key: 'metadata.labels', operator: 'In', values: ['x'] }] }])), `Invalid ${NODE_REQUIRED}[0].matchFields[0].key "metadata.labels" in ${PATH}: expected "metadata.name" (the only node field a selector can match).`],
  ['node field requirement with two node names', () => archiving(nodeTerms([{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-1', 'node-2'] }] }])), `Invalid ${NODE_REQUIRED}[0].matchFields[0].values ["node-1","node-2"] in ${PATH}: expected exactly one node name with operator "In".`],
  ['node requirement values that are a string', () => archiving(nodeRequirement({ key: 'kubernetes.io/arch', operator: 'In', values: 'amd64' })), `Invalid ${NODE_REQUIRED}[0].matchExpressions[0].values "amd64" in ${PATH}: expected a list of strings.`],
  ['node field requirement with a node name with "_"', () => archiving(nodeTerms([{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node_1'] }] }])), `Invalid ${NODE_REQUIRED}[0].matchFields[0].values[0] "node_1" in ${PATH}: ${OBJECT_NAME}.`],
  ['preferred node affinity of weight 0', () => archiving({ affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 0, preference: { matchExpressions: [{ key: 'ssd', operator: 'Exists' }] } }] } } }), `Invalid ${NODE_PREFERRED}[0].weight 0 in ${PATH}: expected a whole number from 1 to 100.`],
  ['preferred pod anti-affinity of weight 101', () => restored({ affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 101, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: DB } }] } } }), `Invalid affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight 101 in ${PATH}: expected a whole number from 1 to 100.`],
  ['pod anti-affinity term without a topology key', () => archiving(antiTerm({ labelSelector: DB })), `Invalid ${ANTI_REQUIRED}[0].topologyKey (missing) in ${PATH}: ${TOPOLOGY_KEY}.`],
  ['pod affinity term without a label selector', () => archiving({ affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname' }] } } }), `Invalid affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector (missing) in ${PATH}: expected a label selector of the pods the term is about (without one the term matches no pods).`],
  ['pod label selector operator "Gt"', () => archiving(antiTerm({ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchExpressions: [{ key: 'tier', operator: 'Gt', values: ['1'] }] } })), `Invalid ${ANTI_REQUIRED}[0].labelSelector.matchExpressions[0].operator "Gt" in ${PATH}: expected one of In, NotIn, Exists, DoesNotExist.`],
  ['pod label selector value with a space', () => archiving(antiTerm({ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { tier: 'data base' } } })), `Invalid ${ANTI_REQUIRED}[0].labelSelector.matchLabels.tier "data base" in ${PATH}: ${LABEL_VALUE}.`],
  ['pod affinity namespace selector operator "Equals"', () => archiving(antiTerm({ topologyKey: 'kubernetes.io/hostname', labelSelector: DB, namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'Equals', values: ['x'] }] } })), `Invalid ${ANTI_REQUIRED}[0].namespaceSelector.matchExpressions[0].operator "Equals" in ${PATH}: expected one of In, NotIn, Exists, DoesNotExist.`],
  ['pod affinity namespace with upper case', () => archiving(antiTerm({ topologyKey: 'kubernetes.io/hostname', labelSelector: DB, namespaces: ['Shop'] })), `Invalid ${ANTI_REQUIRED}[0].namespaces[0] "Shop" in ${PATH}: expected a DNS-1123 label of at most 63 characters: lower-case letters, digits and "-", starting and ending with a letter or digit.`],
  ['affinity with a misspelt field', () => archiving({ affinity: { podAntiAfinity: {} } }), `Invalid affinity.podAntiAfinity {} in ${PATH}: expected a field of k8s.Affinity: nodeAffinity, podAffinity, podAntiAffinity.`],
  ['topology spread maxSkew 0', () => archiving(spread({ maxSkew: 0 })), `Invalid topologySpreadConstraints[0].maxSkew 0 in ${PATH}: expected a whole number, 1 or more.`],
  ['topology spread maxSkew missing', () => restored(spread({ maxSkew: undefined })), `Invalid topologySpreadConstraints[0].maxSkew (missing) in ${PATH}: expected a whole number, 1 or more.`],
  ['topology spread whenUnsatisfiable "Schedule"', () => archiving(spread({ whenUnsatisfiable: 'Schedule' })), `Invalid topologySpreadConstraints[0].whenUnsatisfiable "Schedule" in ${PATH}: expected "DoNotSchedule" or "ScheduleAnyway".`],
  ['topology spread without a label selector', () => archiving(spread({ labelSelector: undefined })), `Invalid topologySpreadConstraints[0].labelSelector (missing) in ${PATH}: expected a label selector of the pods to spread (without one the constraint counts no pods).`],
  ['topology spread minDomains with ScheduleAnyway', () => archiving(spread({ whenUnsatisfiable: 'ScheduleAnyway', minDomains: 2 })), `Invalid topologySpreadConstraints[0].minDomains 2 in ${PATH}: expected whenUnsatisfiable "DoNotSchedule" with minDomains.`],
  ['topology spread nodeTaintsPolicy "honor"', () => archiving(spread({ nodeTaintsPolicy: 'honor' })), `Invalid topologySpreadConstraints[0].nodeTaintsPolicy "honor" in ${PATH}: expected "Honor" or "Ignore".`],
  ['topology spread topology key with a space', () => archiving(spread({ topologyKey: 'zone name' })), `Invalid topologySpreadConstraints[0].topologyKey "zone name" in ${PATH}: ${TOPOLOGY_KEY}.`],
  ['topology spread matchLabelKeys with a space', () => archiving(spread({ matchLabelKeys: ['pod template hash'] })), `Invalid topologySpreadConstraints[0].matchLabelKeys[0] "pod template hash" in ${PATH}: ${LABEL_KEY}.`],
  ['priorityClassName with upper case', () => archiving({ priorityClassName: 'Critical' }), `Invalid priorityClassName "Critical" in ${PATH}: ${OBJECT_NAME}.`],
  ['empty priorityClassName', () => restored({ priorityClassName: '' }), `Invalid priorityClassName "" in ${PATH}: ${OBJECT_NAME}.`],

  // --- pod options: metadata, exposure, images -------------------------------------------------------------
  ['pod annotation key with a space', () => archiving({ podAnnotations: { 'backup owner': 'team' } }), `Invalid podAnnotations "backup owner" in ${PATH}: ${ANNOTATION_KEY}.`],
  ['pod annotation key with two "/"', () => archiving({ podAnnotations: { 'example.com/a/b': 'x' } }), `Invalid podAnnotations "example.com/a/b" in ${PATH}: ${ANNOTATION_KEY}.`],
  ['pod annotation key of the library (the config checksum)', () => archiving({ podAnnotations: { 'cdk8s-postgres-walg/config-checksum': 'x' } }), `Invalid podAnnotations "cdk8s-postgres-walg/config-checksum" in ${PATH}: ${OWN_PREFIX}.`],
  ['pod annotation value that is a number', () => restored({ podAnnotations: { 'prometheus.io/port': 9187 } }), `Invalid podAnnotations.prometheus.io/port 9187 in ${PATH}: expected a string (quote numbers and booleans, e.g. "true").`],
  ['pod annotations over 256 KiB', () => archiving({ podAnnotations: { big: 'x'.repeat(262142) } }), `Invalid podAnnotations "262145 bytes" in ${PATH}: expected at most 262144 bytes of keys and values in all (the Kubernetes limit).`],
  ['service annotation key of 64 characters', () => archiving({ serviceAnnotations: { ['a'.repeat(64)]: 'x' } }), `Invalid serviceAnnotations "${'a'.repeat(64)}" in ${PATH}: ${ANNOTATION_KEY}.`],
  ['service annotation key of the library', () => restored({ serviceAnnotations: { 'cdk8s-postgres-walg/exposed': 'true' } }), `Invalid serviceAnnotations "cdk8s-postgres-walg/exposed" in ${PATH}: ${OWN_PREFIX}.`],
  ['service annotation value that is a boolean', () => archiving({ serviceAnnotations: { 'service.beta.kubernetes.io/aws-load-balancer-internal': true } }), `Invalid serviceAnnotations.service.beta.kubernetes.io/aws-load-balancer-internal true in ${PATH}: expected a string (quote numbers and booleans, e.g. "true").`],
  ['serviceType ExternalName', () => archiving({ serviceType: ServiceType.EXTERNAL_NAME }), `Invalid serviceType "ExternalName" in ${PATH}: expected one of ClusterIP, NodePort, LoadBalancer (an ExternalName Service is a DNS alias that selects no pods, so it cannot serve the database).`],
  ['serviceType that does not exist', () => restored({ serviceType: 'Headless' }), `Invalid serviceType "Headless" in ${PATH}: expected one of ClusterIP, NodePort, LoadBalancer.`],
  ['loadBalancerSourceRanges on a ClusterIP Service', () => archiving({ loadBalancerSourceRanges: ['10.0.0.0/8'] }), `Invalid loadBalancerSourceRanges ["10.0.0.0/8"] in ${PATH}: expected serviceType ServiceType.LOAD_BALANCER with loadBalancerSourceRanges (the client Service is ClusterIP, which no load balancer fronts).`],
  ['loadBalancerSourceRanges on a NodePort Service', () => restored({ serviceType: ServiceType.NODE_PORT, loadBalancerSourceRanges: ['10.0.0.0/8'] }), `Invalid loadBalancerSourceRanges ["10.0.0.0/8"] in ${PATH}: expected serviceType ServiceType.LOAD_BALANCER with loadBalancerSourceRanges (the client Service is NodePort, which no load balancer fronts).`],
  ...([
    ['a host address with a network prefix (would open the network)', '10.0.0.1/8'],
    ['an address without a prefix length', '203.0.113.7'],
    ['an IPv4 prefix length of 33', '203.0.113.0/33'],
    ['an IPv4 address with a leading zero', '010.0.0.0/8'],
    ['a prefix length with a leading zero', '10.0.0.0/08'],
    ['an IPv6 host address with a network prefix', '2001:db8::1/32'],
    ['an IPv6 prefix length of 129', '2001:db8::/129'],
    ['an IPv6 address with a zone', 'fe80::%eth0/64'],
    ['a host name', 'office.example.com/32'],
  ] as const).map(([what, cidr]): [string, () => unknown, string] =>
    [`loadBalancerSourceRanges with ${what}`, () => archiving({ serviceType: ServiceType.LOAD_BALANCER, loadBalancerSourceRanges: ['192.0.2.0/24', cidr] }), `Invalid loadBalancerSourceRanges[1] "${cidr}" in ${PATH}: ${CIDR}.`]),
  ['imagePullSecrets name with "_"', () => archiving({ imagePullSecrets: ['registry_credentials'] }), `Invalid imagePullSecrets[0] "registry_credentials" in ${PATH}: ${OBJECT_NAME}.`],
  ['imagePullSecrets with a Secret twice', () => restored({ imagePullSecrets: ['regcred', 'regcred'] }), `Invalid imagePullSecrets[1] "regcred" in ${PATH}: expected each Secret once.`],
  ['imagePullSecrets as one string', () => archiving({ imagePullSecrets: 'regcred' }), `Invalid imagePullSecrets "regcred" in ${PATH}: expected a list of Secret names.`],

  // --- the NetworkPolicy -----------------------------------------------------------------------------
  ['networkPolicy client made in a chart of another namespace, without its namespaces', () => {
    const app = Testing.app();
    const db = new Chart(app, 'bad', { namespace: 'db', disableResourceNameHashes: true });
    const web = new Chart(app, 'web', { namespace: 'frontend' });
    new ArchivingPostgres(db, 'pg', { storage: s3(), networkPolicy: { clients: [Pods.select(web, 'web', { labels: { app: 'web' } })] } });
  }, `Invalid networkPolicy.clients[0] "web/web" in ${PATH}: expected a peer in the database's namespace "db", or one that names its namespaces: this one is made in namespace "frontend", but a pod selector without a namespace selector selects pods of the NetworkPolicy's own namespace; use Pods.select(scope, id, { labels, namespaces: Namespaces.select(scope, id, { names: ['<its namespace>'] }) }).`],
  ['networkPolicy client made in a chart without a namespace', () => {
    const app = Testing.app();
    const db = new Chart(app, 'bad', { namespace: 'db', disableResourceNameHashes: true });
    const web = new Chart(app, 'web');
    new ArchivingPostgres(db, 'pg', { storage: s3(), networkPolicy: { clients: [new Deployment(web, 'api', { containers: [{ image: 'example.com/api:1' }] })] } });
  }, `Invalid networkPolicy.clients[0] "web/api" in ${PATH}: expected a peer in the database's namespace "db", or one that names its namespaces: this one is made in a chart without a namespace, but a pod selector without a namespace selector selects pods of the NetworkPolicy's own namespace; use Pods.select(scope, id, { labels, namespaces: Namespaces.select(scope, id, { names: ['<its namespace>'] }) }).`],
  ['loadBalancerSourceRanges that is an empty list (it would admit every address)', () => archiving({ serviceType: ServiceType.LOAD_BALANCER, loadBalancerSourceRanges: [] }), `Invalid loadBalancerSourceRanges [] in ${PATH}: expected at least one CIDR: an empty list admits every address (leave the option out to admit every address on purpose).`],
  ['externalTrafficPolicy on a ClusterIP client Service', () => archiving({ externalTrafficPolicy: 'Local' }), `Invalid externalTrafficPolicy "Local" in ${PATH}: expected serviceType ServiceType.NODE_PORT or ServiceType.LOAD_BALANCER with externalTrafficPolicy (a ClusterIP Service takes no traffic from outside the cluster).`],
  ['externalTrafficPolicy in lower case', () => archiving({ serviceType: ServiceType.LOAD_BALANCER, externalTrafficPolicy: 'local' }), `Invalid externalTrafficPolicy "local" in ${PATH}: expected "Cluster" or "Local".`],
  ['priorityClassName with the reserved "system-" prefix', () => archiving({ priorityClassName: 'system-databases' }), `Invalid priorityClassName "system-databases" in ${PATH}: expected a PriorityClass of yours (the prefix "system-" is reserved for "system-cluster-critical" or "system-node-critical").`],
  ['two topologySpreadConstraints with the same topologyKey and whenUnsatisfiable', () => archiving({
    topologySpreadConstraints: [
      { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { a: 'b' } } },
      { maxSkew: 2, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { c: 'd' } } },
    ],
  }), `Invalid topologySpreadConstraints[1] "topology.kubernetes.io/zone/ScheduleAnyway" in ${PATH}: expected at most one constraint per topologyKey and whenUnsatisfiable (Kubernetes refuses a duplicate pair).`],
  ['labels that set a label the library sets', () => archiving({ labels: { 'app.kubernetes.io/name': 'orders-db' } }), `Invalid labels "app.kubernetes.io/name" in ${PATH}: expected a label the library does not set: it sets app.kubernetes.io/name, app.kubernetes.io/instance, app.kubernetes.io/version, app.kubernetes.io/component, app.kubernetes.io/managed-by on every object (the selector, the version, the component, the manager).`],
  ['labels that turn off the Azure workload identity the storage needs', () => archiving({ labels: { 'azure.workload.identity/use': 'false' }, storage: WalStorage.azure(PostgresVersion.V17, { container: 'walg', credentials: AzureCredentials.fromWorkloadIdentity('walg-azure', 'walgarchive') }) }), `Invalid labels.azure.workload.identity/use "false" in ${PATH}: expected "true" or no such label: the storage's keyless identity needs it on the pod.`],
  ['two instances of one name in one namespace', () => {
    const c = chart();
    new ArchivingPostgres(c, 'pg', { name: 'orders', storage: s3() });
    new ArchivingPostgres(c, 'pg2', { name: 'orders', storage: s3({ prefix: 'prod/other' }) });
  }, `Invalid name "orders" in ${PATH}2: ${PATH} already has this name in namespace "db"; their StatefulSets, Services, ConfigMaps and Secrets would have the same names, so give each its own name.`],
  ['a misspelt property (from JavaScript)', () => archiving({ nodeSelecter: { disk: 'ssd' } } as any), `Invalid nodeSelecter "(an unknown property: its value is not shown)" in ${PATH}: expected a property of ArchivingPostgresProps (did you mean "nodeSelector"?); an unknown property would be ignored.`],
  ['a misspelt recovery target (from JavaScript)', () => restored({ recoveryTraget: { time: '2026-11-23T10:00:00Z' } } as any), `Invalid recoveryTraget "(an unknown property: its value is not shown)" in ${PATH}: expected a property of WalRestoredPostgresProps (did you mean "recoveryTarget"?); an unknown property would be ignored.`],
  ['a misspelt superuserPassword: the password is not shown', () => archiving({ superuserPasword: SuperuserPassword.fromValue('hunter2') } as any), `Invalid superuserPasword "(an unknown property: its value is not shown)" in ${PATH}: expected a property of ArchivingPostgresProps (did you mean "superuserPassword"?); an unknown property would be ignored.`],
  ['an unknown property far from every name', () => archiving({ autoFailover: true } as any), `Invalid autoFailover "(an unknown property: its value is not shown)" in ${PATH}: expected a property of ArchivingPostgresProps; an unknown property would be ignored.`],
  ['superuserPassword key that is empty', () => archiving({ superuserPassword: SuperuserPassword.fromSecret('orders-db', '') }), `Invalid superuserPassword key "" in ${PATH}: expected a Secret key: letters, digits, "-", "_" and ".", at most 253 characters (not "." or "..").`],
  ['superuserPassword key with a space', () => archiving({ superuserPassword: SuperuserPassword.fromSecret('orders-db', 'bad key!') }), `Invalid superuserPassword key "bad key!" in ${PATH}: expected a Secret key: letters, digits, "-", "_" and ".", at most 253 characters (not "." or "..").`],
  ['superuserPassword given as a plain string (not shown)', () => archiving({ superuserPassword: 'hunter2' }), `Invalid superuserPassword "(a string, not shown: it may be secret)" in ${PATH}: expected SuperuserPassword.fromSecret() or .fromValue().`],
  ['networkPolicy with an empty list of clients (only the pod itself: no client could connect)', () => archiving({ networkPolicy: { clients: [] } }),
    `Invalid networkPolicy.clients [] in ${PATH}: expected at least one peer: with none, the NetworkPolicy would admit only the instance's own pods and no client could connect; leave networkPolicy out to make no NetworkPolicy.`],
  ['networkPolicy without clients', () => restored({ networkPolicy: {} }), `Invalid networkPolicy.clients (missing) in ${PATH}: expected a list of cdk8s-plus-27 network policy peers, such as [Pods.select(this, 'api', { labels: { app: 'api' } })].`],
  ['networkPolicy: true', () => archiving({ networkPolicy: true }), `Invalid networkPolicy true in ${PATH}: expected a PostgresNetworkPolicy such as { clients: [Pods.select(this, 'api', { labels: { app: 'api' } })] }.`],
  ['networkPolicy with a field it does not have', () => archiving({ networkPolicy: { clients: [], egress: 'deny' } }), `Invalid networkPolicy.egress "deny" in ${PATH}: expected a field of PostgresNetworkPolicy: clients.`],
  ['networkPolicy client given as a label map', () => archiving({ networkPolicy: { clients: [{ app: 'api' }] } }), `Invalid ${NP} {"app":"api"} in ${PATH}: ${PEER}.`],
  ['networkPolicy client given as a name', () => archiving({ networkPolicy: { clients: ['orders-api'] } }), `Invalid ${NP} "orders-api" in ${PATH}: ${PEER}.`],
  ['networkPolicy pod label key with a space', () => archiving(admitting((c) => Pods.select(c, 'api', { labels: { 'app name': 'api' } }))),
    `Invalid ${NP}.podSelector.matchLabels "app name" in ${PATH}: ${LABEL_KEY}.`],
  ['networkPolicy pod label value with a "/"', () => restored(admitting((c) => Pods.select(c, 'api', { labels: { app: 'orders/api' } }))),
    `Invalid ${NP}.podSelector.matchLabels.app "orders/api" in ${PATH}: ${LABEL_VALUE}.`],
  ['networkPolicy namespace label value of 64 characters', () => archiving(admitting((c) => Namespaces.select(c, 'team', { labels: { team: 't'.repeat(64) } }))),
    `Invalid ${NP}.namespaceSelector.matchLabels.team "${'t'.repeat(64)}" in ${PATH}: ${LABEL_VALUE}.`],
  ['networkPolicy namespace name with upper case', () => archiving(admitting((c) => Namespaces.select(c, 'web', { names: ['Web'] }))),
    `Invalid ${NP}.namespaceSelector.matchLabels.kubernetes.io/metadata.name "Web" in ${PATH}: ${DNS_LABEL_63}.`],
  ['networkPolicy pods in no namespace (names: []), which Kubernetes would read as every source', () => archiving(admitting((c) => Pods.select(c, 'api', { labels: { app: 'api' }, namespaces: Namespaces.select(c, 'none', { names: [] }) }))),
    `Invalid ${NP}.from [] in ${PATH}: ${NO_SOURCE}.`],
  ['networkPolicy namespaces of no name (names: [])', () => restored(admitting((c) => Namespaces.select(c, 'none', { names: [] }))), `Invalid ${NP}.from [] in ${PATH}: ${NO_SOURCE}.`],
  ['networkPolicy label expression "In" without values', () => archiving(admitting((c) => Pods.select(c, 'api', { expressions: [LabelExpression.in('tier', [])] }))),
    `Invalid ${NP}.podSelector.matchExpressions[0].values [] in ${PATH}: expected at least one value with operator "In".`],
  ['networkPolicy label expression key with a space', () => archiving(admitting((c) => Pods.select(c, 'api', { expressions: [LabelExpression.exists('db client')] }))),
    `Invalid ${NP}.podSelector.matchExpressions[0].key "db client" in ${PATH}: ${LABEL_KEY}.`],
  ['networkPolicy IPv4 block with host bits set', () => archiving(admitting((c) => NetworkPolicyIpBlock.ipv4(c, 'vpn', '10.8.0.1/16'))), `Invalid ${NP}.ipBlock.cidr "10.8.0.1/16" in ${PATH}: ${CIDR}.`],
  ['networkPolicy IPv6 block with host bits set', () => archiving(admitting((c) => NetworkPolicyIpBlock.ipv6(c, 'office', '2001:db8::1/32'))), `Invalid ${NP}.ipBlock.cidr "2001:db8::1/32" in ${PATH}: ${CIDR}.`],
  ['networkPolicy IP block exception outside the block', () => archiving(admitting((c) => NetworkPolicyIpBlock.ipv4(c, 'vpn', '10.8.0.0/16', ['10.9.0.0/24']))),
    `Invalid ${NP}.ipBlock.except[0] "10.9.0.0/24" in ${PATH}: ${strictlyInside('10.8.0.0/16')}.`],
  ['networkPolicy IP block exception equal to the block', () => restored(admitting((c) => NetworkPolicyIpBlock.ipv4(c, 'vpn', '10.8.0.0/16', ['10.8.0.0/16']))),
    `Invalid ${NP}.ipBlock.except[0] "10.8.0.0/16" in ${PATH}: ${strictlyInside('10.8.0.0/16')}.`],
  ['networkPolicy IP block exception with host bits set', () => archiving(admitting((c) => NetworkPolicyIpBlock.ipv4(c, 'vpn', '10.8.0.0/16', ['10.8.1.1/24']))),
    `Invalid ${NP}.ipBlock.except[0] "10.8.1.1/24" in ${PATH}: ${CIDR}.`],

  // --- hot standbys (replicas) -------------------------------------------------------------------------
  ['replicas 0', () => archiving({ replicas: 0 }), `Invalid replicas 0 in ${PATH}: ${REPLICAS}.`],
  ['replicas 11', () => restored({ replicas: 11, archive: s3({ prefix: 'copy' }) }), `Invalid replicas 11 in ${PATH}: ${REPLICAS}.`],
  ['replicas 1.5', () => archiving({ replicas: 1.5 }), `Invalid replicas 1.5 in ${PATH}: ${REPLICAS}.`],
  ['replicas NaN (shown as NaN, not as JSON\'s null)', () => archiving({ replicas: NaN }), `Invalid replicas NaN in ${PATH}: ${REPLICAS}.`],
  ['replicas as a string', () => archiving({ replicas: '3' }), `Invalid replicas "3" in ${PATH}: ${REPLICAS}.`],
  ['primaryMember 3 of replicas 3', () => archiving({ replicas: 3, primaryMember: 3 }), `Invalid primaryMember 3 in ${PATH}: expected a whole number from 0 to 2: the members of replicas 3 are numbered from 0.`],
  ['primaryMember -1', () => restored({ replicas: 2, primaryMember: -1, archive: s3({ prefix: 'copy' }) }), `Invalid primaryMember -1 in ${PATH}: expected a whole number from 0 to 1: the members of replicas 2 are numbered from 0.`],
  ['primaryMember 1 with one instance', () => archiving({ primaryMember: 1 }), `Invalid primaryMember 1 in ${PATH}: expected 0: with replicas 1 (the default) the only member is the primary.`],
  ['primaryMember 1 with replicas 1 given', () => archiving({ replicas: 1, primaryMember: 1 }), `Invalid primaryMember 1 in ${PATH}: expected 0: with replicas 1 the only member is the primary.`],
  ['baseBackupsFromStandby with one instance', () => archiving({ baseBackupsFromStandby: true }),
    `Invalid baseBackupsFromStandby true in ${PATH}: expected false or no value with replicas 1 (the default): there is no standby to take base backups from; set replicas to 2 or more.`],
  ['baseBackupsFromStandby with WAL-G 0.1.2', () => archiving({ storage: WalStorage.s3(WALG_0_1_2, { bucket: 'walg-archive', credentials: secret() }), replicas: 2, baseBackupsFromStandby: true }),
    `Invalid baseBackupsFromStandby true in ${PATH}: PostgresVersion 11-walg012 bundles WAL-G 0.1.2, which fails in backup-push on a hot standby; WAL-G 0.1.3 and later take it. ` +
    `Leave baseBackupsFromStandby out, or use a version whose WAL-G reads it: ${CATALOG.map((e) => e.name).join(', ')}, or PostgresVersion.custom() with walgVersion "0.1.3" or later.`],
  ['baseBackupsFromStandby as a string', () => archiving({ replicas: 2, baseBackupsFromStandby: 'yes' }), `Invalid baseBackupsFromStandby "yes" in ${PATH}: expected true or false.`],
  ['baseBackupsFromStandby on a restore without an onward archive', () => restored({ baseBackupsFromStandby: true }),
    `Invalid baseBackupsFromStandby true in ${PATH}: expected no archiving option without an archive; set archive to archive onward.`],
  ['replicationPassword with one instance (not shown)', () => archiving({ replicationPassword: ReplicationPassword.fromValue('str3am') }),
    `Invalid replicationPassword "ReplicationPassword.fromValue" in ${PATH}: expected no replicationPassword with replicas 1: only hot standbys stream with it; set replicas to 2 or more, or leave it out.`],
  ['replicationPassword from a Secret with replicas 1 given', () => restored({ replicas: 1, replicationPassword: ReplicationPassword.fromSecret('orders-streaming') }),
    `Invalid replicationPassword "ReplicationPassword.fromSecret" in ${PATH}: expected no replicationPassword with replicas 1: only hot standbys stream with it; set replicas to 2 or more, or leave it out.`],
  ['replicationPassword given as a plain string (not shown)', () => archiving({ replicas: 2, replicationPassword: 'hunter2' }),
    `Invalid replicationPassword "(a string, not shown: it may be secret)" in ${PATH}: expected ReplicationPassword.fromSecret() or .fromValue().`],
  ['replicationPassword key with a space', () => archiving({ replicas: 2, replicationPassword: ReplicationPassword.fromSecret('orders-streaming', 'bad key') }),
    `Invalid replicationPassword key "bad key" in ${PATH}: expected a Secret key: letters, digits, "-", "_" and ".", at most 253 characters (not "." or "..").`],
  ['replicationPassword Secret name with upper case', () => archiving({ replicas: 2, replicationPassword: ReplicationPassword.fromSecret('Orders') }), `Invalid replicationPassword secret name "Orders" in ${PATH}: ${OBJECT_NAME}.`],
  ['a SuperuserPassword given as the replicationPassword', () => archiving({ replicas: 2, replicationPassword: SuperuserPassword.fromSecret('orders-auth') }),
    `Invalid replicationPassword "SuperuserPassword.fromSecret" in ${PATH}: expected ReplicationPassword.fromSecret() or .fromValue().`],
  ['a ReplicationPassword given as the superuserPassword', () => archiving({ superuserPassword: ReplicationPassword.fromValue('str3am') }),
    `Invalid superuserPassword "ReplicationPassword.fromValue" in ${PATH}: expected SuperuserPassword.fromSecret() or .fromValue().`],
  ['empty replication password', () => ReplicationPassword.fromValue(''), `Invalid password "" in ReplicationPassword.fromValue(): ${NON_EMPTY}.`],
  ['replication password of two lines (not shown)', () => ReplicationPassword.fromValue('str3am\nPa55'), `Invalid password "(not shown: it is secret)" in ReplicationPassword.fromValue(): ${ONE_LINE}.`],
  ['WalRestoredPostgres with standbys and no onward archive', () => restored({ replicas: 2 }),
    `Invalid replicas 2 in ${PATH}: expected 1 without an onward archive: standbys are made from the archive's base backups and fall back to its WAL when streaming breaks, so a restored instance with standbys needs \`archive\` (an onward WalStorage, not \`source\`); set it, or leave replicas at 1.`],
  ['an instance named as another\'s member 1', () => {
    const c = chart();
    new ArchivingPostgres(c, 'pg', { name: 'orders', storage: s3(), replicas: 3 });
    new ArchivingPostgres(c, 'pg2', { name: 'orders-1', storage: s3({ prefix: 'prod/other' }) });
  }, `Invalid name "orders-1" in ${PATH}2: ${PATH} already uses this name in namespace "db", for the StatefulSet of its member 1; ${RESERVED}.`],
  ['an instance whose member 2 is named as another instance', () => {
    const c = chart();
    new ArchivingPostgres(c, 'pg', { name: 'orders-2', storage: s3({ prefix: 'prod/other' }) });
    new ArchivingPostgres(c, 'pg2', { name: 'orders', storage: s3(), replicas: 3 });
  }, `Invalid name "orders" in ${PATH}2: this instance would use "orders-2" for the StatefulSet of its member 2, which ${PATH} already uses in namespace "db" as its name; ${RESERVED}.`],
  ['an instance named as another\'s read-only Service', () => {
    const c = chart();
    new ArchivingPostgres(c, 'pg', { name: 'orders', storage: s3(), replicas: 2 });
    new ArchivingPostgres(c, 'pg2', { name: 'orders-ro', storage: s3({ prefix: 'prod/other' }) });
  }, `Invalid name "orders-ro" in ${PATH}2: ${PATH} already uses this name in namespace "db", for its read-only Service; ${RESERVED}.`],
  ['an instance whose read-only Service is named as another instance', () => {
    const c = chart();
    new WalRestoredPostgres(c, 'pg', { name: 'orders-ro', source: s3() });
    new WalRestoredPostgres(c, 'pg2', { name: 'orders', source: s3(), archive: s3({ prefix: 'copy' }), replicas: 2 });
  }, `Invalid name "orders" in ${PATH}2: this instance would use "orders-ro" for its read-only Service, which ${PATH} already uses in namespace "db" as its name; ${RESERVED}.`],
  ['an instance named as another\'s headless Service (one instance each)', () => {
    const c = chart();
    new ArchivingPostgres(c, 'pg', { name: 'orders', storage: s3() });
    new ArchivingPostgres(c, 'pg2', { name: 'orders-pods', storage: s3({ prefix: 'prod/other' }) });
  }, `Invalid name "orders-pods" in ${PATH}2: ${PATH} already uses this name in namespace "db", for its headless Service; ${RESERVED}.`],
  ['an instance whose headless Service is named as another instance', () => {
    const c = chart();
    new WalRestoredPostgres(c, 'pg', { name: 'orders-pods', source: s3() });
    new WalRestoredPostgres(c, 'pg2', { name: 'orders', source: s3() });
  }, `Invalid name "orders" in ${PATH}2: this instance would use "orders-pods" for its headless Service, which ${PATH} already uses in namespace "db" as its name; ${RESERVED}.`],
  ['labels that set the library\'s member label', () => archiving({ labels: { 'cdk8s-postgres-walg/member': '0' } }), `Invalid labels "cdk8s-postgres-walg/member" in ${PATH}: ${MEMBER_LABELS}.`],
  ['labels that set the library\'s role label', () => archiving({ replicas: 2, labels: { 'cdk8s-postgres-walg/role': 'primary' } }), `Invalid labels "cdk8s-postgres-walg/role" in ${PATH}: ${MEMBER_LABELS}.`],

  // --- restore source and onward archive -------------------------------------------------------------
  ['onward archive equal to the source (same object)', () => { const s = s3(); restored({ source: s, archive: s }); }, `Invalid archive "s3://walg-archive/prod/orders" in ${PATH}: the onward archive must differ from the restore source (source): archiving into the archive being restored would mix two WAL histories; use another prefix.`],
  ['onward archive at the source\'s location', () => restored({ source: s3(), archive: s3() }), `Invalid archive "s3://walg-archive/prod/orders" in ${PATH}: the onward archive must differ from the restore source (source): archiving into the archive being restored would mix two WAL histories; use another prefix.`],
  ['onward archive with another image', () => restored({ source: s3(), archive: WalStorage.s3(PostgresVersion.V10_6_V2, { bucket: 'walg-archive', prefix: 'copy', credentials: secret() }) }), `Invalid archive "10.6-v2" in ${PATH}: expected a WalStorage of the source's PostgresVersion 11.2-v1: one pod runs one image and one WAL-G, but the archive's version differs in image (kubedb/postgres:10.6-v2 instead of kubedb/postgres:11.2-v1), walgVersion (0.2.9 instead of 0.2.13).`],
  ['two service accounts in one pod', () => restored({
    source: WalStorage.s3(V3, { bucket: 'walg-archive', credentials: S3Credentials.fromPodIdentity('walg-a') }),
    archive: WalStorage.s3(V3, { bucket: 'walg-archive', prefix: 'copy', credentials: S3Credentials.fromPodIdentity('walg-b') }),
  }), `Invalid archive.credentials "walg-b" in ${PATH}: a pod has one service account, and the other storage uses "walg-a"; use the same one.`],
  ['two clusters archiving to one location', () => {
    const c = chart();
    new ArchivingPostgres(c, 'pg', { name: 'one', storage: s3() });
    new ArchivingPostgres(c, 'pg2', { name: 'two', storage: s3() });
  }, `Invalid storage "s3://walg-archive/prod/orders" in ${PATH}2: ${PATH} already archives there; two clusters in one archive mix their WAL histories, so give each its own prefix.`],
  ['ArchivingPostgres without storage', () => archiving({ storage: undefined }), `Invalid storage (missing) in ${PATH}: expected a WalStorage, e.g. WalStorage.s3(PostgresVersion.V11_2_V1, { … }).`],
  ['WalRestoredPostgres whose source is not a WalStorage', () => restored({ source: 's3://walg-archive/prod' }), `Invalid source "s3://walg-archive/prod" in ${PATH}: expected a WalStorage, e.g. WalStorage.s3(PostgresVersion.V11_2_V1, { … }).`],

  // --- Local volumes ---------------------------------------------------------------------------------
  ['Local without a mount path', () => archivingTo((c) => WalStorage.local(V, { volume: pvc(c) } as any)), `Invalid storage.mountPath (missing) in ${PATH}: ${MOUNT_PATH}.`],
  ['Local relative mount path', () => archivingTo((c) => WalStorage.local(V, { volume: pvc(c), mountPath: 'var/walg' })), `Invalid storage.mountPath "var/walg" in ${PATH}: ${MOUNT_PATH}.`],
  ['Local mount path with a trailing "/"', () => archivingTo((c) => WalStorage.local(V, { volume: pvc(c), mountPath: '/var/walg/' })), `Invalid storage.mountPath "/var/walg/" in ${PATH}: ${MOUNT_PATH}.`],
  ['Local mount path with ".."', () => archivingTo((c) => WalStorage.local(V, { volume: pvc(c), mountPath: '/var/../walg' })), `Invalid storage.mountPath "/var/../walg" in ${PATH}: ${MOUNT_PATH}.`],
  ['Local mount path with a space', () => archivingTo((c) => WalStorage.local(V, { volume: pvc(c), mountPath: '/var/walg archive' })), `Invalid storage.mountPath "/var/walg archive" in ${PATH}: ${MOUNT_PATH}.`],
  ['Local mount path over the data volume', () => archivingTo((c) => WalStorage.local(V, { volume: pvc(c), mountPath: '/var/pv/archive' })), `Invalid storage.mountPath "/var/pv/archive" in ${PATH}: expected a path outside /var/pv, /etc/pg-walg, /var/run/postgresql, /dev/shm, /tmp, /opt/pg-walg (the pod uses /var/pv).`],
  ['Local mount path /tmp', () => archivingTo((c) => WalStorage.local(V, { volume: pvc(c), mountPath: '/tmp' })), `Invalid storage.mountPath "/tmp" in ${PATH}: expected a path outside /var/pv, /etc/pg-walg, /var/run/postgresql, /dev/shm, /tmp, /opt/pg-walg (the pod uses /tmp).`],
  ['Local without a volume', () => archivingTo(() => WalStorage.local(V, { mountPath: '/var/walg-archive' } as any)), `Invalid storage.volume (missing) in ${PATH}: expected a cdk8s-plus Volume, e.g. Volume.fromPersistentVolumeClaim(...).`],
  ['Local volume that is not a Volume', () => archivingTo(() => WalStorage.local(V, { volume: { name: 'walg' }, mountPath: '/var/walg-archive' } as any)), `Invalid storage.volume "(not a Volume)" in ${PATH}: expected a cdk8s-plus Volume, e.g. Volume.fromPersistentVolumeClaim(...).`],
  ['Local source and archive on one mount path, two volumes', () => {
    const c = chart();
    new WalRestoredPostgres(c, 'pg', {
      source: WalStorage.local(V, { volume: pvc(c, 'a'), mountPath: '/var/walg-archive', prefix: 'one' }),
      archive: WalStorage.local(V, { volume: Volume.fromEmptyDir(c, 'b', 'scratch'), mountPath: '/var/walg-archive', prefix: 'two' }),
    });
  }, `Invalid archive.mountPath "/var/walg-archive" in ${PATH}: expected a mount path that the other Local storage (another volume) does not use.`],

  // --- credentials -----------------------------------------------------------------------------------
  ['S3 access key without its id', () => S3Credentials.fromAccessKey('', 'secret'), `Invalid accessKeyId "" in S3Credentials.fromAccessKey(): ${NON_EMPTY}.`],
  ['S3 access key with a blank secret', () => S3Credentials.fromAccessKey('AKIAEXAMPLE', '   '), `Invalid secretAccessKey "   " in S3Credentials.fromAccessKey(): ${NON_EMPTY}.`],
  ['S3 storage without credentials', () => archiving({ storage: s3({ credentials: undefined }) }), `Invalid storage.credentials (missing) in ${PATH}: expected S3Credentials.fromSecret(), .fromAccessKey() or .fromPodIdentity().`],
  ['GCS credentials for S3 storage', () => archiving({ storage: s3({ credentials: GcsCredentials.fromSecret('gcs-walg') }) }), `Invalid storage.credentials "GcsCredentials.fromSecret" in ${PATH}: expected S3Credentials.`],
  ['S3 credentials for Azure storage', () => archiving({ storage: azure({ credentials: secret() }) }), `Invalid storage.credentials "S3Credentials.fromSecret" in ${PATH}: expected AzureCredentials.`],
  ['GCS key that is not JSON', () => GcsCredentials.fromServiceAccountKey('not json'), 'Invalid jsonKey "(not shown: it is secret)" in GcsCredentials.fromServiceAccountKey(): expected the JSON key file of a Google service account.'],
  ['GCS key that is not a service account key', () => GcsCredentials.fromServiceAccountKey('{"type":"authorized_user"}'), 'Invalid jsonKey "(not shown: it is secret)" in GcsCredentials.fromServiceAccountKey(): expected a JSON key whose "type" is "service_account".'],
  ['Azure account name with upper case', () => AzureCredentials.fromAccountKey('WalgAccount', 'key'), 'Invalid accountName "WalgAccount" in AzureCredentials.fromAccountKey(): expected an Azure storage account name: 3 to 24 lower-case letters and digits.'],
  ['Azure account key missing', () => AzureCredentials.fromAccountKey('walgaccount', undefined as any), `Invalid accountKey (missing) in AzureCredentials.fromAccountKey(): ${NON_EMPTY}.`],
  ['Swift v1 auth URL with user info (it would land in the ConfigMap)', () => SwiftCredentials.fromV1('https://walg:SuperSecret@swift.example.com/auth/v1.0', 'walg', 'key'), 'Invalid authUrl "https://(user info not shown)@swift.example.com/auth/v1.0" in SwiftCredentials.fromV1(): expected a URL without user info: the URL lands in the ConfigMap, which is not secret; give the user and the key or password as their own parameters.'],
  ['Keystone v3 auth URL with user info', () => SwiftCredentials.fromKeystoneV3({ authUrl: 'https://admin:pw@keystone.example.com:5000/v3', username: 'walg', password: 'pw', userDomainName: 'Default', projectName: 'walg', projectDomainName: 'Default' } as any), 'Invalid authUrl "https://(user info not shown)@keystone.example.com:5000/v3" in SwiftCredentials.fromKeystoneV3(): expected a URL without user info: the URL lands in the ConfigMap, which is not secret; give the user and the key or password as their own parameters.'],
  ['Swift v1 auth URL that is not a URL', () => SwiftCredentials.fromV1('swift.example.com/auth', 'walg', 'key'), 'Invalid authUrl "swift.example.com/auth" in SwiftCredentials.fromV1(): expected an http(s) URL.'],
  ['Swift Keystone v2 without a tenant', () => SwiftCredentials.fromKeystoneV2({ authUrl: 'https://keystone:5000/v2.0', username: 'walg', password: 'pw' }), 'Invalid tenantName/tenantId {} in SwiftCredentials.fromKeystoneV2(): expected exactly one of tenantName and tenantId.'],
  ['Swift Keystone v2 with tenant name and id', () => SwiftCredentials.fromKeystoneV2({ authUrl: 'https://keystone:5000/v2.0', username: 'walg', password: 'pw', tenantName: 'db', tenantId: '42' }), 'Invalid tenantName/tenantId {"tenantName":"db","tenantId":"42"} in SwiftCredentials.fromKeystoneV2(): expected exactly one of tenantName and tenantId.'],
  ['Swift Keystone v3 without a project', () => SwiftCredentials.fromKeystoneV3({ authUrl: 'https://keystone:5000/v3', username: 'walg', password: 'pw', userDomainName: 'Default', projectDomainName: 'Default' } as any), `Invalid projectName (missing) in SwiftCredentials.fromKeystoneV3(): ${NON_EMPTY}.`],
  ['Swift Keystone v3 auth URL without a path (the user report\'s URL)', () => SwiftCredentials.fromKeystoneV3({
    authUrl: 'https://keystone.example.com:5000', username: 'walg', password: 'pw', userDomainName: 'Default', projectName: 'db', projectDomainName: 'Default',
  }), 'Invalid authUrl "https://keystone.example.com:5000" in SwiftCredentials.fromKeystoneV3(): expected the URL of the Keystone API version itself, such as '
    + '"https://keystone.example.com:5000/v3": WAL-G posts to <authUrl>/auth/tokens without version discovery, and the root of a Keystone only lists its versions '
    + '(for an identity API served at the root, use SwiftCredentials.fromSecret() with ST_AUTH_VERSION).'],
  ['Swift Keystone v2 auth URL of the root', () => SwiftCredentials.fromKeystoneV2({ authUrl: 'http://keystone:5000/', username: 'walg', password: 'pw', tenantName: 'db' }),
    'Invalid authUrl "http://keystone:5000/" in SwiftCredentials.fromKeystoneV2(): expected the URL of the Keystone API version itself, such as '
    + '"https://keystone.example.com:5000/v2.0": WAL-G posts to <authUrl>/tokens without version discovery, and the root of a Keystone only lists its versions '
    + '(for an identity API served at the root, use SwiftCredentials.fromSecret() with ST_AUTH_VERSION).'],
  ['Swift v1 user with a newline', () => SwiftCredentials.fromV1('https://swift.example.com/auth/v1.0', 'walg\nWALE_SWIFT_PREFIX=swift://other', 'key'), `Invalid user "walg\\nWALE_SWIFT_PREFIX=swift://other" in SwiftCredentials.fromV1(): ${SINGLE_LINE}.`],
  ['Swift v1 auth URL with a newline', () => SwiftCredentials.fromV1('https://swift.example.com\n/auth/v1.0', 'walg', 'key'), `Invalid authUrl "https://swift.example.com\\n/auth/v1.0" in SwiftCredentials.fromV1(): ${SINGLE_LINE}.`],
  ['Swift Keystone v2 region with a carriage return', () => SwiftCredentials.fromKeystoneV2({ authUrl: 'https://keystone:5000/v2.0', username: 'walg', password: 'pw', tenantName: 'db', region: 'RegionOne\r' }), `Invalid region "RegionOne\\r" in SwiftCredentials.fromKeystoneV2(): ${SINGLE_LINE}.`],
  ['Swift Keystone v3 project name with a newline', () => SwiftCredentials.fromKeystoneV3({ authUrl: 'https://keystone:5000/v3', username: 'walg', password: 'pw', userDomainName: 'Default', projectName: 'db\nOS_AUTH_URL=https://other', projectDomainName: 'Default' }), `Invalid projectName "db\\nOS_AUTH_URL=https://other" in SwiftCredentials.fromKeystoneV3(): ${SINGLE_LINE}.`],
  ['Swift pre-authenticated storage URL and token, which no WAL-G can use', () => SwiftCredentials.fromToken('https://swift.example.com/v1/AUTH_db', 'token'),
    'Invalid storageUrl "https://swift.example.com/v1/AUTH_db" in SwiftCredentials.fromToken(): WAL-G cannot use a pre-authenticated storage URL and token: '
    + 'every release authenticates against an auth URL first (with these alone it fails with "Can\'t find AuthVersion in AuthUrl"). '
    + 'Use SwiftCredentials.fromV1(), .fromKeystoneV2(), .fromKeystoneV3() or .fromSecret().'],
  ['Swift token missing', () => SwiftCredentials.fromToken('https://swift.example.com/v1/AUTH_db', ''), `Invalid authToken "" in SwiftCredentials.fromToken(): ${NON_EMPTY}.`],
  ['empty superuser password', () => SuperuserPassword.fromValue(''), `Invalid password "" in SuperuserPassword.fromValue(): ${NON_EMPTY}.`],
  ['superuser password of line ends only', () => SuperuserPassword.fromValue('\r\n'), `Invalid password "\\r\\n" in SuperuserPassword.fromValue(): ${NON_EMPTY}.`],
  ['superuser password of two lines (not shown)', () => SuperuserPassword.fromValue('pa55\nword\n'), `Invalid password "(not shown: it is secret)" in SuperuserPassword.fromValue(): ${ONE_LINE}.`],
  ['S3 secret key with a carriage return inside (not shown)', () => S3Credentials.fromAccessKey('AKIAEXAMPLE', 'sec\rret'), `Invalid secretAccessKey "(not shown: it is secret)" in S3Credentials.fromAccessKey(): ${ONE_LINE}.`],
  ['S3 key id of two lines (not shown)', () => S3Credentials.fromAccessKey('AKIA\r\nEXAMPLE', 'secret'), `Invalid accessKeyId "(not shown: it is secret)" in S3Credentials.fromAccessKey(): ${ONE_LINE}.`],
  ['Azure account key of two lines (not shown)', () => AzureCredentials.fromAccountKey('walgaccount', 'a2V5\na2V5'), `Invalid accountKey "(not shown: it is secret)" in AzureCredentials.fromAccountKey(): ${ONE_LINE}.`],
  ['Swift v1 key with a NUL byte (not shown)', () => SwiftCredentials.fromV1('https://swift.example.com/auth/v1.0', 'walg', 'k\0ey'), `Invalid key "(not shown: it is secret)" in SwiftCredentials.fromV1(): ${ONE_LINE}.`],
  ['Swift Keystone v2 password of two lines (not shown)', () => SwiftCredentials.fromKeystoneV2({ authUrl: 'https://keystone:5000/v2.0', username: 'walg', password: 'p\nw', tenantName: 'db' }), `Invalid password "(not shown: it is secret)" in SwiftCredentials.fromKeystoneV2(): ${ONE_LINE}.`],
  ['Swift Keystone v3 password of two lines (not shown)', () => SwiftCredentials.fromKeystoneV3({ authUrl: 'https://keystone:5000/v3', username: 'walg', password: 'p\r\nw', userDomainName: 'Default', projectName: 'db', projectDomainName: 'Default' }), `Invalid password "(not shown: it is secret)" in SwiftCredentials.fromKeystoneV3(): ${ONE_LINE}.`],
  ['GCS key whose project_id is two lines', () => GcsCredentials.fromServiceAccountKey('{"type":"service_account","project_id":"a\\nb"}'), `Invalid jsonKey project_id "(not shown: it is secret)" in GcsCredentials.fromServiceAccountKey(): ${ONE_LINE}.`],

  // --- versions and providers through the untyped path -----------------------------------------------
  ['Azure with a PostgreSQL version of tier A', () => WalStorage.azure(PostgresVersion.V9_6_V2 as any, { container: 'walg', credentials: AzureCredentials.fromSecret('a') }), 'Unsupported pair in WalStorage.azure(): PostgresVersion 9.6-v2 cannot archive to or restore from Azure (its WAL-G supports S3, GCS). Versions that support Azure: 9.6-v3, 9.6.7-v3, 10.2-v3, 10.6-v1, 11.1-v1, 9.6-v4, 9.6.7-v4, 10.2-v4, 10.6-v2, 11.1-v2, 11.2, 9.6-v5, 9.6.7-v5, 10.2-v5, 10.6-v3, 11.1-v3, 11.2-v1, 14, 15, 16, 17, 18.'],
  ['MinIO with a version of tier B', () => WalStorage.minio(PostgresVersion.V10_6_V1 as any, { bucket: 'walg', endpoint: 'https://minio:9000', credentials: secret() }), 'Unsupported pair in WalStorage.minio(): PostgresVersion 10.6-v1 cannot archive to or restore from MinIO (its WAL-G supports S3, GCS, Azure, Swift). Versions that support MinIO: 9.6-v4, 9.6.7-v4, 10.2-v4, 10.6-v2, 11.1-v2, 11.2, 9.6-v5, 9.6.7-v5, 10.2-v5, 10.6-v3, 11.1-v3, 11.2-v1, 14, 15, 16, 17, 18.'],
  ['Local with a version of tier A', () => WalStorage.local(PostgresVersion.V11_1 as any, { volume: undefined as any, mountPath: '/walg' }), 'Unsupported pair in WalStorage.local(): PostgresVersion 11.1 cannot archive to or restore from Local (its WAL-G supports S3, GCS). Versions that support Local: 9.6-v4, 9.6.7-v4, 10.2-v4, 10.6-v2, 11.1-v2, 11.2, 9.6-v5, 9.6.7-v5, 10.2-v5, 10.6-v3, 11.1-v3, 11.2-v1, 14, 15, 16, 17, 18.'],
  ['Swift with a version of tier A', () => WalStorage.swift(PostgresVersion.V10_2_V2 as any, { container: 'walg', credentials: SwiftCredentials.fromSecret('s') }), 'Unsupported pair in WalStorage.swift(): PostgresVersion 10.2-v2 cannot archive to or restore from Swift (its WAL-G supports S3, GCS). Versions that support Swift: 9.6-v3, 9.6.7-v3, 10.2-v3, 10.6-v1, 11.1-v1, 9.6-v4, 9.6.7-v4, 10.2-v4, 10.6-v2, 11.1-v2, 11.2, 9.6-v5, 9.6.7-v5, 10.2-v5, 10.6-v3, 11.1-v3, 11.2-v1, 14, 15, 16, 17, 18.'],
  ['a version given as a string', () => WalStorage.gcs('11.2-v1' as any, { bucket: 'walg', credentials: GcsCredentials.fromSecret('g') }), 'Invalid version "11.2-v1" in WalStorage.gcs(): expected a PostgresVersion such as PostgresVersion.V11_2_V1, or PostgresVersion.custom() for an image outside the catalog.'],
  ['a version name not in the catalog', () => PostgresVersion.of('12.0'), 'Unknown PostgresVersion "12.0": expected one of 9.6-v2, 9.6.7-v2, 10.2-v2, 10.6, 11.1, 9.6-v3, 9.6.7-v3, 10.2-v3, 10.6-v1, 11.1-v1, 9.6-v4, 9.6.7-v4, 10.2-v4, 10.6-v2, 11.1-v2, 11.2, 9.6-v5, 9.6.7-v5, 10.2-v5, 10.6-v3, 11.1-v3, 11.2-v1, 14, 15, 16, 17, 18.'],
  ['storage options that are not an object', () => WalStorage.s3(V, null as any), 'Invalid options null in WalStorage.s3(): expected an object with the S3 settings.'],
];

test('storage options given where a WalStorage belongs: the message shows them without their secret values', () => {
  const options = { bucket: 'walg-archive', prefix: 'copy', credentials: S3Credentials.fromAccessKey('AKIDEXAMPLE', 'wJalrXUtnFEMI') };
  expect(() => restored({ archive: options })).toThrow(/^Invalid archive .*"secretData":"\(not shown: secret\)".* in bad\/pg: expected a WalStorage or nothing\.$/);
  expect(() => restored({ archive: options })).not.toThrow(/wJalrXUtnFEMI|AKIDEXAMPLE/);
});

test('at least 80 distinct invalid inputs', () => {
  expect(CASES.length).toBeGreaterThanOrEqual(80);
  expect(new Set(CASES.map(([what]) => what)).size).toBe(CASES.length);
});

// One sentence: what is invalid, where (the construct path, or the factory or class that was called),
// and what would be valid.
const FORMAT = /^(Invalid [^ ]+( [a-z ]+)? .+ in (bad\/pg2?|[A-Za-z0-9]+\.[A-Za-z0-9]+\(\)): .+|Unsupported pair in WalStorage\.[a-z0-9]+\(\): .+|Unknown PostgresVersion ".+": expected one of .+)\.$/s;
test.each(CASES)('the message for %s has the library\'s format', (_what, _make, message) => {
  expect(message).toMatch(FORMAT);
});

test.each(CASES)('%s', (_what, make, message) => {
  expect(make).toThrow(exactly(message));
});

/** A regular expression that matches exactly this message. */
function exactly(message: string): RegExp {
  return new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
}

