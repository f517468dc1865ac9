// The round trips of `npx projen e2e:cluster` with a node (PG_WALG_CLUSTER_NODE=1), run by e2e/cluster.ts after
// its admission cells, inside the network and mount namespaces tools/cluster/cluster.sh made: the library's
// pods run for real, on a real kubelet, made by the real StatefulSet controller and placed by the real
// scheduler, and nothing is done to them but `kubectl apply` of synthesized YAML, `kubectl exec` of psql and
// `kubectl delete namespace`.
//
// What this file starts, and stops by PID (e2e/lib/proc.ts: on exit and on SIGTERM too): kube-controller-manager
// and kube-scheduler (built by tools/cluster/build.sh with the node), the cluster's DNS, CoreDNS (built there too),
// on the node's address port 53 (the kubelet's clusterDNS; its kubernetes plugin reads the run's API server; a
// process, not a Service: there is no kube-proxy to route a ClusterIP), and MinIO over TLS on the node's address
// (CLUSTER_NODE_IP, on the bridge e2e0 of the run's network namespace: the pods reach it through their CNI
// bridge's gateway; nothing leaves the namespace). The run's own process reaches the pods' IPs on that bridge too
// (the metrics cells scrape the exporter there, as Prometheus would).
//
// Images: no registry is reachable, so tools/cluster/pg-image.sh builds, per run, an image for each name the
// manifests give (kubedb/postgres:11.2-v1; postgres:14.23-trixie and the WAL-G image example.com/wal-g:1.1.3
// of the modern path), from the e2e's PostgreSQL binaries, WAL-G binaries and Debian's busybox, and `ctr`
// imports it into containerd's k8s.io namespace under that name, fully qualified as containerd's CRI plugin
// resolves it (postgres:14.23-trixie is docker.io/library/postgres:14.23-trixie); for the metrics cells also the
// exporter image quay.io/prometheuscommunity/postgres-exporter:v0.17.1 (tools/install.sh's postgres_exporter). The
// manifests' images are imagePullPolicy IfNotPresent (the library's default): the kubelet finds them and pulls nothing.
//
// Storage: what a cluster's provisioner would make, the run makes before the claims exist: a `local`
// PersistentVolume (a directory of the run, node affinity to the node, reclaim policy Retain) pre-bound by
// claimRef to each claim — the StatefulSet's data-pg-0, and for the Local provider the archive's claim
// walg-archive, which the app synthesizes beside the construct. After its namespace is deleted, the archive's
// directory is offered again to the restore's namespace by a new PersistentVolume, as an administrator
// re-binds a retained volume.
//
// Each cell, per provider (MinIO, Local) × PostgresVersion (PostgreSQL 11 from KubeDB's catalog with WAL-G
// 0.2.19 inside; PostgreSQL 14 on the modern path, custom() with WAL-G 1.1.3, as e2e/lib/lines.ts picks):
// an ArchivingPostgres in a namespace enforcing Pod Security restricted; rows written (judge.ts's schema, two
// batches), the WAL switched and waited for in pg_stat_archiver; the namespace deleted with its claims and
// waited until gone; a WalRestoredPostgres in a new namespace; its rows compared with the source's dump
// (every row, the schema, sequences, amcheck). Then pitr-time, wrong-credentials (MinIO) and killed-mid-write
// (Local), and per provider × version:
//   standby  an ArchivingPostgres with replicas 2: the standby pg-1-0 made from the archive streams from the
//            primary by the name its manifest gives (pg-0.pg-pods, through the cluster's DNS: checked by FQDN and
//            short name from the pod), replays the primary's rows, is in recovery, refuses a write, archives
//            nothing, equals the primary (judge.ts's dump and amcheck), and neither server crash-restarted;
//   metrics  an ArchivingPostgres with metrics: its exporter scraped at the pod's IP, port 9187: pg_up, the first
//            base backup reported, then the archiving (archived > 0, not failing, nothing waiting) and, where WAL-G
//            has wal-verify (1.1.3), the WAL chain check (integrity and timeline OK, nothing lost);
//   restore-drill  an ArchivingPostgres with restoreDrill: a Job made from its CronJob (`kubectl create job --from`,
//            as the README's runbook says) completes with result=passed, every row replayed from the WAL; with a
//            failing check query applied, the next one fails (BackoffLimitExceeded, result=failed step=check);
// and on MinIO only, per version:
//   promotion  the README's promotion runbook by hand: the primary's StatefulSet scaled to 0, promote.sh in the
//            standby, primaryMember 1 applied (the old primary's pod refuses its data), its claim and pod
//            deleted and the member made again, a standby of the new timeline equal to the new primary.
import { spawn, spawnSync } from 'child_process';
import { Resolver } from 'dns';
import * as fs from 'fs';
import * as path from 'path';
import { App, Chart, Cron, Duration, Size, Yaml } from 'cdk8s';
import { PersistentVolumeAccessMode, PersistentVolumeClaim, Volume } from 'cdk8s-plus-27';
import { Db, Dump, SCHEMA, batchSql, judgeRestore, takeDump, waitArchived } from './lib/judge';
import { lineOf } from './lib/lines';
import { Samples, scrape, show as showSamples } from './lib/metrics';
import { freePort } from './lib/ports';
import { Proc, startProcess, stopAll } from './lib/proc';
import { StorageServer, startMinio } from './lib/servers';
import { WalgLine, exporterBin, walgLines } from './lib/tools';
import { hasWalgFeature } from '../src/_capabilities';
import {
  ArchivingPostgres, PostgresVersion, ReplicationPassword, S3Credentials, SuperuserPassword, WalRestoredPostgres, WalStorage,
} from '../src';

const KUBECTL = required('CLUSTER_KUBECTL');
const BIN = required('CLUSTER_BIN');
const PKI = required('CLUSTER_PKI');
const WORK = required('CLUSTER_WORK');
const PSA_VERSION = required('POD_SECURITY_VERSION');
const FIELD_MANAGER = 'e2e-cluster';
const PASSWORD_VALUE = 'e2e-cluster-secret';
const PASSWORD = SuperuserPassword.fromValue(PASSWORD_VALUE);
/** The replication role's password of the standby cells (the construct makes its Secret). */
const REPLICATION = ReplicationPassword.fromValue('e2e-cluster-replication');
/**
 * The metrics container's image of the metrics cells: the modern versions' exporter (postgres_exporter v0.17.1, which
 * tools/install.sh builds), the default of custom() versions (PostgreSQL 14 here), named through metrics.image for
 * the catalog's 11.2-v1. KubeDB's kubedb/postgres_exporter:v0.4.7, the KubeDB catalog's default, cannot be built
 * here (the Go module proxy refuses github.com/wrouesnel/postgres_exporter v0.4.7): an image of that name holding
 * v0.17.1 would be a stand-in, this is not.
 */
const EXPORTER_IMAGE = PostgresVersion.V14.exporterImage;
/** The exporter's port (the library's METRICS_PORT; the upstream image's EXPOSE). */
const EXPORTER_PORT = 9187;

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this through tools/cluster/run.sh (npx projen e2e:cluster)`);
  return v;
}

export interface CellResult { readonly name: string; readonly ok: boolean; readonly detail: string; readonly seconds: number }

interface Run { readonly ok: boolean; readonly out: string; readonly err: string }

function kubectl(args: string[], input?: string, timeoutMs = 120_000): Run {
  const r = spawnSync(KUBECTL, ['--request-timeout=30s', ...args], { input, encoding: 'utf8', timeout: timeoutMs });
  const err = (r.stderr ?? '') + (r.error ? `\n${r.error.message}` : '');
  return { ok: r.status === 0, out: r.stdout ?? '', err: err.trim() };
}

function must(what: string, r: Run): string {
  if (!r.ok) throw new Error(`${what}: ${r.err}`);
  return r.out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Applies objects server-side (as the admission cells do), written to a file of the cell's directory first. */
function apply(dir: string, file: string, objects: object[]): void {
  fs.mkdirSync(dir, { recursive: true });
  const f = path.join(dir, file);
  fs.writeFileSync(f, Yaml.stringify(...objects));
  const a = kubectl(['apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '-f', f]);
  if (!a.ok) throw new Error(`apply ${file}: ${a.err}`);
  if (/would violate PodSecurity/.test(a.err)) throw new Error(`apply ${file}: ${a.err}`);
}

function namespaceObject(name: string): object {
  const labels: Record<string, string> = {};
  for (const mode of ['enforce', 'warn']) {
    labels[`pod-security.kubernetes.io/${mode}`] = 'restricted';
    labels[`pod-security.kubernetes.io/${mode}-version`] = PSA_VERSION;
  }
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } };
}

// ------------------------------------------------------------------ the controllers --------------------

/** kube-controller-manager and kube-scheduler against the run's API server, on 127.0.0.1; stopped by PID. */
async function startControllers(): Promise<Proc[]> {
  const kubeconfig = path.join(WORK, 'kubeconfig');
  const auth = [`--kubeconfig=${kubeconfig}`, `--authentication-kubeconfig=${kubeconfig}`, `--authorization-kubeconfig=${kubeconfig}`,
    '--leader-elect=false', '--bind-address=127.0.0.1', '--v=1'];
  const cm = startProcess('setpriv', ['--pdeathsig', 'TERM', path.join(BIN, 'kube-controller-manager'), ...auth, '--secure-port=10257',
    `--service-account-private-key-file=${path.join(PKI, 'sa.key')}`, `--root-ca-file=${path.join(PKI, 'ca.crt')}`,
    '--use-service-account-credentials=false'],
  { name: 'kube-controller-manager', logFile: path.join(WORK, 'kube-controller-manager.log'), env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
  const sched = startProcess('setpriv', ['--pdeathsig', 'TERM', path.join(BIN, 'kube-scheduler'), ...auth, '--secure-port=10259'],
    { name: 'kube-scheduler', logFile: path.join(WORK, 'kube-scheduler.log'), env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
  // Both serve /healthz on their secure ports; the controller manager is at work once it made a namespace's
  // default ServiceAccount (the ServiceAccount controller).
  const probe = 'e2e-controllers-probe';
  apply(path.join(WORK, 'roundtrip'), 'probe.yaml', [namespaceObject(probe)]);
  for (let i = 0; i < 120; i++) {
    if (!cm.isRunning() || !sched.isRunning()) break;
    const sa = kubectl(['get', 'serviceaccount', 'default', '-n', probe, '-o', 'name']);
    const s = spawnSync('curl', ['-sk', '--max-time', '2', 'https://127.0.0.1:10259/healthz'], { encoding: 'utf8', timeout: 5000 });
    if (sa.ok && s.stdout === 'ok') {
      kubectl(['delete', 'namespace', probe, '--wait=false']);
      return [cm, sched];
    }
    await sleep(1000);
  }
  throw new Error(`the controllers did not come up: ${cm.logTail(10)} ${sched.logTail(10)}`);
}

// ------------------------------------------------------------------ the cluster's DNS ------------------

/**
 * CoreDNS (CLUSTER_COREDNS, built by tools/cluster/build.sh) on the node's address, port 53: the kubelet's
 * clusterDNS (tools/cluster/cluster.sh). Its kubernetes plugin answers cluster.local from the run's API server
 * (the run's admin kubeconfig, of the run's PKI): Services, the headless Services' pods
 * (<pod>.<service>.<namespace>.svc.cluster.local, by the EndpointSlices' hostnames). Nothing else is answered:
 * no forward plugin, the run's namespace has no upstream. A process of the run, not a pod behind a ClusterIP
 * Service: there is no kube-proxy, so nothing would route a Service address to it. Stopped by PID.
 * Ready when its ready plugin says so (the kubernetes plugin has synced) and it resolves the `kubernetes`
 * Service to its ClusterIP.
 */
async function startDns(): Promise<{ proc: Proc; detail: string }> {
  const ip = required('CLUSTER_NODE_IP');
  const dir = path.join(WORK, 'coredns');
  fs.mkdirSync(dir, { recursive: true });
  const readyPort = await freePort();
  const corefile = path.join(dir, 'Corefile');
  fs.writeFileSync(corefile, [
    'cluster.local:53 {',
    `  bind ${ip}`,
    `  ready 127.0.0.1:${readyPort}`,
    '  errors',
    '  log',
    '  kubernetes cluster.local {',
    `    kubeconfig ${path.join(WORK, 'kubeconfig')} e2e`,
    '  }',
    '}',
    '',
  ].join('\n'));
  const proc = startProcess('setpriv', ['--pdeathsig', 'TERM', required('CLUSTER_COREDNS'), '-conf', corefile],
    { name: 'coredns', logFile: path.join(WORK, 'coredns.log'), cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
  const want = must('the kubernetes Service', kubectl(['get', 'service', 'kubernetes', '-n', 'default', '-o', 'jsonpath={.spec.clusterIP}']));
  let got = '';
  for (let i = 0; i < 60 && proc.isRunning(); i++) {
    const r = spawnSync('curl', ['-s', '--max-time', '2', `http://127.0.0.1:${readyPort}/ready`], { encoding: 'utf8', timeout: 5000 });
    if (r.stdout === 'OK') {
      got = (await resolve4(ip, 'kubernetes.default.svc.cluster.local').catch((e: Error) => [e.message])).join(',');
      if (got === want) return { proc, detail: `CoreDNS (pid ${proc.pid}) on ${ip}:53, kubernetes.default.svc.cluster.local is ${got}` };
    }
    await sleep(1000);
  }
  throw new Error(`CoreDNS not ready (kubernetes.default.svc.cluster.local: ${got || 'not asked'}, want ${want}): ${proc.logTail(15)}`);
}

/** The A records of `name` from the DNS server at `server` (the addresses sorted), within 5 s. */
function resolve4(server: string, name: string): Promise<string[]> {
  const r = new Resolver({ timeout: 2000, tries: 2 });
  r.setServers([server]);
  return new Promise((ok, fail) => r.resolve4(name, (e, a) => (e ? fail(e) : ok([...a].sort()))));
}

// ------------------------------------------------------------------ the images -------------------------

/** The name containerd's CRI plugin stores an image reference under (docker.io, library/ for one path element). */
export function qualifiedImage(ref: string): string {
  const first = ref.split('/')[0];
  const domain = ref.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (domain) return ref;
  return ref.includes('/') ? `docker.io/${ref}` : `docker.io/library/${ref}`;
}

/** Builds (pg-image.sh) and imports the images a PostgresVersion's manifests name, for WAL-G `walg`. */
function buildImages(version: PostgresVersion, major: number, walg: WalgLine): string[] {
  const images: [kind: string, ref: string][] = version.walgImage
    ? [['official', version.image], ['walg', version.walgImage]]
    : [['kubedb', version.image]];
  const sock = required('CLUSTER_CONTAINERD');
  return images.map(([kind, ref]) => {
    const out = path.join(WORK, 'images', `${kind}-${major}.tar`);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    const b = spawnSync('bash', [path.join(__dirname, '..', 'tools', 'cluster', 'pg-image.sh'), kind, qualifiedImage(ref), out, String(major), walg.bin, String(version.uid)],
      { encoding: 'utf8', timeout: 300_000 });
    if (b.status !== 0) throw new Error(`pg-image.sh ${kind} ${ref}: ${b.stderr}${b.error?.message ?? ''}`);
    const i = spawnSync('ctr', ['-a', sock, '-n', 'k8s.io', 'images', 'import', out], { encoding: 'utf8', timeout: 300_000 });
    if (i.status !== 0) throw new Error(`ctr images import ${ref}: ${i.stderr}${i.error?.message ?? ''}`);
    fs.rmSync(out);
    return `${ref} (${kind}, ${qualifiedImage(ref)})`;
  });
}

/** Builds (pg-image.sh exporter) and imports the metrics container's image EXPORTER_IMAGE: postgres_exporter v0.17.1. */
function buildExporterImage(): string {
  const out = path.join(WORK, 'images', 'exporter.tar');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const b = spawnSync('bash', [path.join(__dirname, '..', 'tools', 'cluster', 'pg-image.sh'), 'exporter', qualifiedImage(EXPORTER_IMAGE), out, '-', exporterBin(), '-'],
    { encoding: 'utf8', timeout: 300_000 });
  if (b.status !== 0) throw new Error(`pg-image.sh exporter ${EXPORTER_IMAGE}: ${b.stderr}${b.error?.message ?? ''}`);
  const i = spawnSync('ctr', ['-a', required('CLUSTER_CONTAINERD'), '-n', 'k8s.io', 'images', 'import', out], { encoding: 'utf8', timeout: 300_000 });
  if (i.status !== 0) throw new Error(`ctr images import ${EXPORTER_IMAGE}: ${i.stderr}${i.error?.message ?? ''}`);
  fs.rmSync(out);
  return `${EXPORTER_IMAGE} (exporter, ${qualifiedImage(EXPORTER_IMAGE)})`;
}

// ------------------------------------------------------------------ volumes ----------------------------

/** A `local` PersistentVolume on the node, pre-bound to a claim (what a provisioner would make). */
function localVolume(name: string, dir: string, claim: { namespace: string; name: string }, size: string): object {
  fs.mkdirSync(dir, { recursive: true });
  return {
    apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name, labels: { 'e2e-cluster/roundtrip': 'true' } },
    spec: {
      capacity: { storage: size }, accessModes: ['ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Retain', volumeMode: 'Filesystem',
      local: { path: dir }, claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', ...claim },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [required('CLUSTER_NODE')] }] }] } },
    },
  };
}

// ------------------------------------------------------------------ pods -------------------------------

/** psql in the pod's postgres container (its socket, PGHOST of its env; pg_hba: local trust), tuples only. */
function db(ns: string, pod = 'pg-0'): Db {
  return {
    sql: async (query: string) => {
      const r = kubectl(['exec', '-n', ns, pod, '-c', 'postgres', '--', 'psql', '-X', '-At', '-v', 'ON_ERROR_STOP=1', '-U', 'postgres', '-d', 'postgres', '-c', query], undefined, 90_000);
      if (!r.ok) throw new Error(`psql in ${ns}/${pod}: ${query.slice(0, 80)}: ${r.err}`);
      return r.out.trim();
    },
  };
}

/** Until the pod is Ready (its readiness probe: pg_isready), at most timeoutMs. */
async function waitReady(ns: string, timeoutMs: number, pod = 'pg-0'): Promise<void> {
  const t0 = Date.now();
  let last = '';
  while (Date.now() - t0 < timeoutMs) {
    const r = kubectl(['get', 'pod', pod, '-n', ns, '-o', 'jsonpath={.status.phase} {.status.conditions[?(@.type=="Ready")].status} {.status.containerStatuses[*].restartCount}']);
    last = r.ok ? r.out : r.err;
    if (r.ok && /^Running True/.test(r.out)) return;
    await sleep(2000);
  }
  throw new Error(`pod ${ns}/${pod} not Ready after ${timeoutMs / 1000} s (${last}): ${podReport(ns, pod)}`);
}

/** The end of the pod's containers' logs and events, for a failure's detail. */
function podReport(ns: string, pod = 'pg-0'): string {
  const parts: string[] = [];
  for (const c of ['walg-install', 'postgres', 'walg-backup', 'metrics']) {
    const l = kubectl(['logs', '-n', ns, pod, '-c', c, '--tail=15']);
    if (l.ok && l.out.trim()) parts.push(`[${c}] ${l.out.trim()}`);
  }
  const e = kubectl(['get', 'events', '-n', ns, '--sort-by=.lastTimestamp', '-o', 'custom-columns=R:.reason,M:.message', '--no-headers']);
  parts.push(`[events] ${e.out.trim().split('\n').slice(-8).join(' | ')}`);
  return parts.join('\n').replace(/\n/g, ' ⏎ ');
}

/** Deletes a namespace and waits until it is gone (its pods stopped, its claims released), then its volumes. */
async function deleteNamespace(ns: string, volumes: string[]): Promise<void> {
  must(`delete namespace ${ns}`, kubectl(['delete', 'namespace', ns, '--wait=true', '--timeout=240s'], undefined, 260_000));
  const g = kubectl(['get', 'namespace', ns, '-o', 'name']);
  if (g.ok || !/NotFound/.test(g.err)) throw new Error(`namespace ${ns} still there after its deletion: ${g.out} ${g.err}`);
  for (const pv of volumes) {
    let phase = '';
    for (let i = 0; i < 30 && phase !== 'Released'; i++) {
      if (i > 0) await sleep(1000);
      const p = kubectl(['get', 'pv', pv, '-o', 'jsonpath={.status.phase}']);
      phase = p.out || p.err;
    }
    if (phase !== 'Released') throw new Error(`volume ${pv} is ${phase}, not Released, 30 s after its claim's namespace is gone`);
    must(`delete pv ${pv}`, kubectl(['delete', 'pv', pv, '--wait=true', '--timeout=60s']));
  }
}

// ------------------------------------------------------------------ the cells --------------------------

type Provider = 'minio' | 'local';

interface Target { readonly major: number; readonly version: PostgresVersion; readonly walg: WalgLine }

function storage(chart: Chart, provider: Provider, t: Target, minio: StorageServer, prefix: string): WalStorage {
  const v = t.version as any;
  if (provider === 'minio') {
    return WalStorage.minio(v, {
      bucket: minio.bucket, prefix, endpoint: minio.endpoint, caCertificate: fs.readFileSync(minio.caFile!, 'utf8'),
      credentials: S3Credentials.fromAccessKey(minio.credentials.accessKey, minio.credentials.secretKey),
    });
  }
  const claim = new PersistentVolumeClaim(chart, 'archive-claim', {
    metadata: { name: 'walg-archive' }, storage: Size.gibibytes(1), accessModes: [PersistentVolumeAccessMode.READ_WRITE_ONCE],
  });
  return WalStorage.local(v, { volume: Volume.fromPersistentVolumeClaim(chart, 'archive', claim), mountPath: '/var/walg-archive', prefix });
}

function synth(ns: string, build: (chart: Chart) => void): object[] {
  const app = new App({ outdir: path.join(WORK, 'roundtrip', 'synth') });
  const chart = new Chart(app, ns, { namespace: ns });
  build(chart);
  return chart.toJson();
}

/** What a source left in its archive, for the restores: its dumps and the moment between its two batches. */
interface Archived {
  readonly id: string;
  readonly prefix: string;
  readonly archiveDir: string;
  /** After batch 1 (at t1), and the latest. */
  readonly dump1: Dump;
  readonly dump2: Dump;
  readonly t1: string;
}

class Laps {
  private readonly laps: string[] = [];
  private t0 = Date.now();
  lap(what: string): void { this.laps.push(`${what} ${((Date.now() - this.t0) / 1000).toFixed(0)} s`); this.t0 = Date.now(); }
  toString(): string { return this.laps.join(', '); }
}

/**
 * The volumes of a namespace's claims: data-pg-0 (and with replicas, member i's data-pg-<i>-0), and for Local the
 * archive's claim on the archive's directory.
 */
function volumesFor(ns: string, provider: Provider, archiveDir: string, replicas = 1): { objects: object[]; names: string[] } {
  const objects = [localVolume(`${ns}-data`, path.join(WORK, 'pv', `${ns}-data`), { namespace: ns, name: 'data-pg-0' }, '10Gi')];
  for (let i = 1; i < replicas; i++) {
    objects.push(localVolume(`${ns}-data-${i}`, path.join(WORK, 'pv', `${ns}-data-${i}`), { namespace: ns, name: `data-pg-${i}-0` }, '10Gi'));
  }
  if (provider === 'local') objects.push(localVolume(`${ns}-archive`, archiveDir, { namespace: ns, name: 'walg-archive' }, '1Gi'));
  return { objects, names: objects.map((o: any) => o.metadata.name) };
}

/**
 * A cell with an archive of its own, `id` <kind>-<provider>-pg<major>: its namespace rt-<id>, the directory of its YAML and, made with the
 * namespace in its setup.yaml, its volumes (the archive's, for Local, in pv/<id>-archive).
 */
function ownArchiveCell(kind: string, provider: Provider, t: Target, replicas = 1): { id: string; ns: string; dir: string; v: { objects: object[]; names: string[] } } {
  const id = `${kind}-${provider}-pg${t.major}`;
  const ns = `rt-${id}`;
  const dir = path.join(WORK, 'roundtrip', ns);
  const v = volumesFor(ns, provider, path.join(WORK, 'pv', `${id}-archive`), replicas);
  apply(dir, 'setup.yaml', [namespaceObject(ns), ...v.objects]);
  return { id, ns, dir, v };
}

/** An ArchivingPostgres in namespace `ns` (its volumes made first), up and Ready. */
async function startSource(ns: string, provider: Provider, t: Target, minio: StorageServer, prefix: string, archiveDir: string): Promise<string[]> {
  const dir = path.join(WORK, 'roundtrip', ns);
  const v = volumesFor(ns, provider, archiveDir);
  apply(dir, 'setup.yaml', [namespaceObject(ns), ...v.objects]);
  apply(dir, 'objects.yaml', synth(ns, (chart) => new ArchivingPostgres(chart, 'pg', {
    name: 'pg', storage: storage(chart, provider, t, minio, prefix), superuserPassword: PASSWORD, archiveTimeout: Duration.seconds(5),
  })));
  await waitReady(ns, 300_000);
  return v.names;
}

/** A WalRestoredPostgres of `prefix` in a new namespace `ns`; its rows judged against `dump`; then deleted. */
async function restoreAndJudge(ns: string, provider: Provider, t: Target, minio: StorageServer, a: Archived, dump: Dump, what: string, laps: Laps,
  recoveryTarget?: { time: string }): Promise<void> {
  const dir = path.join(WORK, 'roundtrip', ns);
  const v = volumesFor(ns, provider, a.archiveDir);
  apply(dir, 'setup.yaml', [namespaceObject(ns), ...v.objects]);
  apply(dir, 'objects.yaml', synth(ns, (chart) => new WalRestoredPostgres(chart, 'pg', {
    name: 'pg', source: storage(chart, provider, t, minio, a.prefix), superuserPassword: PASSWORD, recoveryTarget,
  })));
  await waitReady(ns, 300_000);
  laps.lap('restored and Ready');
  await judgeRestore(db(ns), t.major, dump, what);
  laps.lap(`${dump.rows} rows equal`);
  await deleteNamespace(ns, v.names);
  laps.lap('its namespace deleted');
}

/** Source side of the round trip: rows in two batches, archived; then its namespace deleted with its claims. */
async function archiveThenDelete(provider: Provider, t: Target, minio: StorageServer, laps: Laps): Promise<Archived> {
  const id = `${provider}-pg${t.major}`;
  const ns = `rt-${id}`;
  const prefix = `roundtrip/${id}`;
  const archiveDir = path.join(WORK, 'pv', `${id}-archive`);
  const volumes = await startSource(ns, provider, t, minio, prefix, archiveDir);
  laps.lap('source Ready');
  const a = db(ns);
  await a.sql(SCHEMA);
  await a.sql(batchSql(1, 1, 100));
  const dump1 = await takeDump(a);
  await sleep(1100);
  const t1 = await a.sql("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')");
  await sleep(1100);
  await a.sql(batchSql(2, 101, 200));
  const dump2 = await takeDump(a);
  if (dump2.rows !== 210) throw new Error(`the source holds ${dump2.rows} rows, expected 200 orders and 10 customers`);
  const seg = await a.sql('SELECT pg_walfile_name(pg_switch_wal())');
  await waitArchived(a, seg);
  laps.lap(`${dump2.rows} rows written and archived (${seg})`);
  await deleteNamespace(ns, volumes);
  laps.lap('namespace deleted');
  return { id, prefix, archiveDir, dump1, dump2, t1 };
}

/**
 * The pod killed mid-write: while a session commits rows one by one, the postmaster is killed (SIGKILL: no
 * shutdown checkpoint) and the pod force-deleted; the StatefulSet controller makes a new pg-0, the scheduler
 * places it, and its server recovers from the crash on the same claim. What it then holds is archived, the
 * namespace deleted, and a restore must hold exactly that.
 */
async function killedMidWrite(provider: Provider, t: Target, minio: StorageServer): Promise<string> {
  const laps = new Laps();
  const id = `kill-${provider}-pg${t.major}`;
  const ns = `rt-${id}`;
  const prefix = `roundtrip/${id}`;
  const archiveDir = path.join(WORK, 'pv', `${id}-archive`);
  const volumes = await startSource(ns, provider, t, minio, prefix, archiveDir);
  laps.lap('source Ready');
  const a = db(ns);
  await a.sql('CREATE TABLE writes (id int PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())');
  const uid0 = must('pod uid', kubectl(['get', 'pod', 'pg-0', '-n', ns, '-o', 'jsonpath={.metadata.uid}']));
  // The writer: one transaction per row, until it is cut off.
  const writer = spawn(KUBECTL, ['exec', '-n', ns, 'pg-0', '-c', 'postgres', '--', 'psql', '-X', '-At', '-v', 'ON_ERROR_STOP=1', '-U', 'postgres', '-d', 'postgres', '-c',
    'DO $$ BEGIN FOR i IN 1..1000000 LOOP INSERT INTO writes (id) VALUES (i); COMMIT; END LOOP; END $$'], { stdio: 'ignore' });
  const writerDone = new Promise<void>((r) => writer.on('exit', () => r()));
  let before = 0;
  for (let i = 0; i < 30 && before < 200; i++) {
    await sleep(500);
    before = Number(await a.sql('SELECT count(*) FROM writes'));
  }
  if (before < 200) throw new Error(`the writer committed only ${before} rows in 15 s`);
  const kill = kubectl(['exec', '-n', ns, 'pg-0', '-c', 'postgres', '--', 'sh', '-c', 'kill -KILL "$(head -n 1 "$PGDATA/postmaster.pid")"']);
  must('force-delete pod pg-0', kubectl(['delete', 'pod', 'pg-0', '-n', ns, '--grace-period=0', '--force', '--wait=false']));
  await Promise.race([writerDone, sleep(30_000)]);
  writer.kill('SIGKILL');
  laps.lap(`${before}+ rows committed, postmaster killed (${kill.ok ? 'SIGKILL' : `kill: ${kill.err}`}), pod force-deleted`);
  let uid1 = uid0;
  for (let i = 0; i < 60 && (uid1 === uid0 || !uid1); i++) {
    await sleep(1000);
    uid1 = kubectl(['get', 'pod', 'pg-0', '-n', ns, '-o', 'jsonpath={.metadata.uid}']).out;
  }
  if (uid1 === uid0 || !uid1) throw new Error('the StatefulSet controller made no new pg-0');
  await waitReady(ns, 300_000);
  const node = kubectl(['get', 'pod', 'pg-0', '-n', ns, '-o', 'jsonpath={.spec.nodeName}']).out;
  const after = Number(await a.sql('SELECT count(*) FROM writes'));
  const max = Number(await a.sql('SELECT coalesce(max(id), 0) FROM writes'));
  if (after < before || max !== after) throw new Error(`after the crash the table holds ${after} rows up to id ${max}; ${before} were committed before the kill`);
  laps.lap(`a new pg-0 (${uid1.slice(0, 8)}) scheduled on ${node}, recovered: ${after} rows, ids 1..${max}`);
  const dump = await takeDump(a);
  const seg = await a.sql('SELECT pg_walfile_name(pg_switch_wal())');
  await waitArchived(a, seg);
  laps.lap('archived');
  await deleteNamespace(ns, volumes);
  laps.lap('namespace deleted');
  const archived: Archived = { id, prefix, archiveDir, dump1: dump, dump2: dump, t1: '' };
  await restoreAndJudge(`${ns}-restored`, provider, t, minio, archived, dump, 'the rows of a pod killed mid-write, restored', laps);
  return laps.toString();
}

/** A restore with a wrong secret key: the pod fails, and its log says what the library says about it. */
async function wrongCredentials(t: Target, minio: StorageServer, a: Archived): Promise<string> {
  const laps = new Laps();
  const ns = `rt-badkey-pg${t.major}`;
  const dir = path.join(WORK, 'roundtrip', ns);
  const v = volumesFor(ns, 'minio', a.archiveDir);
  apply(dir, 'setup.yaml', [namespaceObject(ns), ...v.objects]);
  apply(dir, 'objects.yaml', synth(ns, (chart) => new WalRestoredPostgres(chart, 'pg', {
    name: 'pg', superuserPassword: PASSWORD, storageAttempts: 2, storageRetryInterval: Duration.seconds(1),
    source: WalStorage.minio(t.version as any, {
      bucket: minio.bucket, prefix: a.prefix, endpoint: minio.endpoint, caCertificate: fs.readFileSync(minio.caFile!, 'utf8'),
      credentials: S3Credentials.fromAccessKey(minio.credentials.accessKey, `${minio.credentials.secretKey}-wrong`),
    }),
  })));
  const want = /cannot read the \w+ storage \S+ after 2 attempts, 1 s apart\. Check the bucket, the prefix, the endpoint and the credentials/;
  // Failed: the container ended with an error at least once (the StatefulSet's pod restarts it, so it ends in
  // CrashLoopBackOff); its log is read from the API server, the running or the last ended container's.
  let state = '';
  let log = '';
  let line: string | undefined;
  for (let i = 0; i < 150 && !line; i++) {
    await sleep(2000);
    state = kubectl(['get', 'pod', 'pg-0', '-n', ns, '-o', 'jsonpath={.status.phase} {.status.containerStatuses[?(@.name=="postgres")].restartCount} {.status.containerStatuses[?(@.name=="postgres")].lastState.terminated.exitCode} {.status.containerStatuses[?(@.name=="postgres")].state.waiting.reason}']).out;
    const [, restarts, exitCode] = state.split(' ');
    if (!(Number(restarts) >= 1 && exitCode && exitCode !== '0')) continue;
    for (const previous of [[], ['--previous']]) {
      const l = kubectl(['logs', '-n', ns, 'pg-0', '-c', 'postgres', ...previous]);
      log = `${l.out}${l.err}`;
      line = log.split('\n').find((x) => want.test(x));
      if (line) break;
    }
  }
  const ready = kubectl(['get', 'pod', 'pg-0', '-n', ns, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']).out;
  laps.lap(`pod failed (phase, restarts, last exit code, waiting: ${state}; Ready ${ready})`);
  await deleteNamespace(ns, v.names);
  if (!line) throw new Error(`no "${want.source}" in the failed container's log: ${log.slice(-1500) || podReport(ns)}`);
  if (ready === 'True') throw new Error('the pod is Ready');
  return `${laps}; its log: ${line.trim()}`;
}

/** A pod's IP (status.podIP). */
function podIp(ns: string, pod: string): string {
  const ip = must(`the IP of ${ns}/${pod}`, kubectl(['get', 'pod', pod, '-n', ns, '-o', 'jsonpath={.status.podIP}']));
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(ip)) throw new Error(`pod ${ns}/${pod} has no IP: ${JSON.stringify(ip)}`);
  return ip;
}

/** The postgres container's log (the running container's; the last 2000 lines). */
function postgresLog(ns: string, pod: string): string {
  const l = kubectl(['logs', '-n', ns, pod, '-c', 'postgres', '--tail=2000']);
  return `${l.out}${l.ok ? '' : l.err}`;
}

/** Polls `check` every second until it returns a value, within timeoutMs; else throws with `what` and the last value seen. */
async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>, last: () => string = () => ''): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`${what}: not after ${timeoutMs / 1000} s${last() ? ` (${last()})` : ''}`);
    await sleep(1000);
  }
}

/**
 * The names a pod of the standby cell resolves, through the cluster's DNS: its resolv.conf names the node's CoreDNS
 * with the search path of its namespace; the primary's pod by its FQDN (<pod>.<headless Service>.<namespace>.svc.
 * cluster.local) and by the short name the library gives PG_WALG_PRIMARY_HOST (pg-0.pg-pods, through the search
 * path), both to the primary's pod IP (inet_server_addr() of a psql session over TCP, resolved by glibc as
 * libpq and the walreceiver resolve it); and from the run, CoreDNS's answers for each member's pod and the
 * headless Service (every member, ready or not).
 */
async function checkDns(ns: string, from: string, primaryIp: string, standbyIp: string): Promise<string> {
  const nodeIp = required('CLUSTER_NODE_IP');
  const conf = must(`resolv.conf of ${from}`, kubectl(['exec', '-n', ns, from, '-c', 'postgres', '--', 'cat', '/etc/resolv.conf']));
  const search = `search ${ns}.svc.cluster.local svc.cluster.local cluster.local`;
  if (!conf.split('\n').includes(`nameserver ${nodeIp}`) || !conf.split('\n').includes(search)) {
    throw new Error(`${from}'s /etc/resolv.conf names no nameserver ${nodeIp} with "${search}": ${conf.replace(/\n/g, ' | ')}`);
  }
  const seen: string[] = [];
  for (const host of [`pg-0.pg-pods.${ns}.svc.cluster.local`, 'pg-0.pg-pods']) {
    const r = kubectl(['exec', '-n', ns, from, '-c', 'postgres', '--', 'env', `PGPASSWORD=${PASSWORD_VALUE}`, 'PGCONNECT_TIMEOUT=10',
      'psql', '-X', '-At', '-h', host, '-U', 'postgres', '-d', 'postgres', '-c', 'SELECT host(inet_server_addr())'], undefined, 60_000);
    if (!r.ok || r.out.trim() !== primaryIp) throw new Error(`psql -h ${host} in ${from}: ${r.ok ? `connected to ${r.out.trim()}, not the primary's ${primaryIp}` : r.err}`);
    seen.push(`${host} → ${primaryIp}`);
  }
  const answers: Record<string, string> = {
    [`pg-0.pg-pods.${ns}.svc.cluster.local`]: primaryIp,
    [`pg-1-0.pg-pods.${ns}.svc.cluster.local`]: standbyIp,
    [`pg-pods.${ns}.svc.cluster.local`]: [primaryIp, standbyIp].sort().join(','),
  };
  for (const [name, want] of Object.entries(answers)) {
    const got = (await resolve4(nodeIp, name).catch((e: Error) => [e.message])).join(',');
    if (got !== want) throw new Error(`CoreDNS answers ${name} with ${got}, expected ${want}`);
  }
  return `${from} resolves ${seen.join(', ')} (search path ${ns}.svc.cluster.local …); CoreDNS answers the headless Service with both pods`;
}

/**
 * standby: an ArchivingPostgres with replicas 2 (the StatefulSets pg and pg-1, the headless Service pg-pods). The
 * primary pg-0 pushes its first base backup; the standby pg-1-0 is made from it, finds the primary by the name the
 * manifest gives (PG_WALG_PRIMARY_HOST pg-0.pg-pods, through the cluster's DNS) and streams; rows written on the
 * primary are replayed (pg_last_wal_replay_lsn), the standby is in recovery, refuses a write, never archives, and
 * its rows equal the primary's (judge.ts's dump, and amcheck: the extension made on the primary and replicated).
 */
async function standbyCell(provider: Provider, t: Target, minio: StorageServer): Promise<string> {
  const laps = new Laps();
  const { id, ns, dir, v } = ownArchiveCell('sb', provider, t, 2);
  apply(dir, 'objects.yaml', synth(ns, (chart) => new ArchivingPostgres(chart, 'pg', {
    name: 'pg', replicas: 2, replicationPassword: REPLICATION, storage: storage(chart, provider, t, minio, `roundtrip/${id}`),
    superuserPassword: PASSWORD, archiveTimeout: Duration.seconds(5),
  })));
  const primaryHost = must('the standby\'s PG_WALG_PRIMARY_HOST', kubectl(['get', 'statefulset', 'pg-1', '-n', ns, '-o',
    'jsonpath={.spec.template.spec.containers[?(@.name=="postgres")].env[?(@.name=="PG_WALG_PRIMARY_HOST")].value}']));
  if (primaryHost !== 'pg-0.pg-pods') throw new Error(`the standby's manifest names the primary ${JSON.stringify(primaryHost)}, expected pg-0.pg-pods`);
  await waitReady(ns, 300_000);
  laps.lap('primary Ready');
  const p = db(ns);
  const s = db(ns, 'pg-1-0');
  await p.sql(SCHEMA);
  await p.sql('CREATE EXTENSION IF NOT EXISTS amcheck');
  await p.sql(batchSql(1, 1, 100));
  await waitReady(ns, 300_000, 'pg-1-0');
  const restarts = kubectl(['get', 'pod', 'pg-1-0', '-n', ns, '-o', 'jsonpath={.status.containerStatuses[?(@.name=="postgres")].restartCount}']).out;
  const made = /making a hot standby of (\S+) from base backup (base_\S+)/.exec(postgresLog(ns, 'pg-1-0'));
  laps.lap(`standby Ready (${made ? `made from ${made[2]} of ${made[1]}` : 'its log does not say from which base backup'}, ${restarts || 0} restarts)`);
  if (!made) throw new Error(`the standby's log does not say it was made from a base backup: ${postgresLog(ns, 'pg-1-0').slice(-1500)}`);
  await p.sql(batchSql(2, 101, 200));
  const lsn = await p.sql('SELECT pg_current_wal_lsn()');
  let replayed = '';
  await until(`the standby replayed the primary's WAL up to ${lsn}`, 120_000, async () => {
    const [at, done] = (await s.sql(`SELECT coalesce(pg_last_wal_replay_lsn()::text, 'none'), coalesce(pg_last_wal_replay_lsn() >= '${lsn}'::pg_lsn, false)`)).split('|');
    replayed = at;
    return done === 't' ? true : undefined;
  }, () => `replayed to ${replayed || '?'}`);
  const primaryIp = podIp(ns, 'pg-0');
  const standbyIp = podIp(ns, 'pg-1-0');
  const replication = await until('the standby streaming in the primary\'s pg_stat_replication', 60_000, async () => {
    const r = await p.sql("SELECT host(client_addr) || ' ' || application_name || ' ' || state FROM pg_stat_replication");
    return r.split('\n').find((l) => l.startsWith(`${standbyIp} `) && l.endsWith(' streaming'));
  });
  const receiver = await s.sql("SELECT status || ' ' || coalesce(substring(conninfo from 'host=(\\S+)'), '?') FROM pg_stat_wal_receiver");
  if (receiver !== 'streaming pg-0.pg-pods') throw new Error(`the standby's pg_stat_wal_receiver says ${JSON.stringify(receiver)}, expected streaming from host pg-0.pg-pods`);
  laps.lap(`replayed to ${lsn}; streaming (primary's pg_stat_replication: ${replication}; standby's wal receiver: ${receiver})`);
  const dns = await checkDns(ns, 'pg-1-0', primaryIp, standbyIp);
  // The standby judged as judge.ts judges a restore: the primary's dump, the sequences, amcheck (created above, replicated).
  if (await s.sql('SELECT pg_is_in_recovery()') !== 't') throw new Error('the standby is not in recovery');
  const dump = await takeDump(p);
  const readOnly: Db = { sql: (q: string) => (/^CREATE EXTENSION IF NOT EXISTS amcheck$/.test(q) ? Promise.resolve('') : s.sql(q)) };
  await judgeRestore(readOnly, t.major, dump, 'the standby\'s rows');
  const write = await s.sql('INSERT INTO orders (id, batch) VALUES (-1, 0)').then(() => 'accepted', (e: Error) => e.message);
  if (!/read-only transaction/.test(write)) throw new Error(`a write on the standby was not refused as read-only: ${write}`);
  const archiver = await s.sql("SELECT archived_count || ',' || failed_count FROM pg_stat_archiver");
  if (archiver !== '0,0') throw new Error(`the standby's pg_stat_archiver archived_count,failed_count is ${archiver}: a standby never archives`);
  laps.lap(`in recovery, ${dump.rows} rows equal to the primary's (dump, amcheck), a write refused as read-only, nothing archived; ${dns}`);
  // No crash-restart of either server: the postmaster is PID 1 of its container and adopts what the restore_command's
  // shells leave unreaped; a child killed by a signal among them restarts every server process (lib.sh's bounded).
  for (const pod of ['pg-0', 'pg-1-0']) {
    const crashes = postgresLog(ns, pod).split('\n').filter((l) => /was terminated by signal|terminating any other active server processes/.test(l));
    if (crashes.length > 0) throw new Error(`${pod}'s server restarted after a crash (${crashes.length} lines of its log): ${crashes.slice(0, 4).join(' | ')}`);
  }
  await deleteNamespace(ns, v.names);
  laps.lap('namespace deleted');
  return laps.toString();
}

/** The standby's timeline, replay position and walreceiver, for messages. */
async function receiverState(s: Db): Promise<string> {
  return s.sql("SELECT coalesce((SELECT status || ' from ' || coalesce(substring(conninfo from 'host=(\\S+)'), '?') || ' on timeline ' || received_tli FROM pg_stat_wal_receiver), 'no wal receiver') || ', replayed to ' || coalesce(pg_last_wal_replay_lsn()::text, 'none')");
}

/** Until the pod named is gone (its namespace kept), at most timeoutMs. */
async function podGone(ns: string, pod: string, timeoutMs: number): Promise<void> {
  const w = kubectl(['wait', '--for=delete', `pod/${pod}`, '-n', ns, `--timeout=${timeoutMs / 1000}s`], undefined, timeoutMs + 20_000);
  if (!w.ok && !/NotFound/.test(w.err)) throw new Error(`pod ${ns}/${pod} still there after ${timeoutMs / 1000} s: ${w.err}`);
}

/**
 * promotion: the README's promotion runbook, by hand, on the cluster. An ArchivingPostgres with replicas 2 (as the
 * standby cell), rows replayed by the standby; then 1. the old primary's StatefulSet scaled to 0; 2. `promote.sh` in
 * the standby's pod, which becomes a primary on a new timeline and takes writes, archived; 3. primaryMember 1 applied
 * (the members' pods re-created; the apply sets the old primary's StatefulSet back to one pod, whose pod refuses its
 * primary's data and says to delete its claim); 4. its PersistentVolumeClaim deleted, then its pod: the StatefulSet
 * makes a new claim (bound to a new volume, as a provisioner would make one) and the member is made again from the
 * archive, a standby of the new primary on the new timeline, whose rows it replays and equals (dump, amcheck).
 */
async function promotionCell(provider: Provider, t: Target, minio: StorageServer): Promise<string> {
  const laps = new Laps();
  const id = `pr-${provider}-pg${t.major}`;
  const ns = `rt-${id}`;
  const dir = path.join(WORK, 'roundtrip', ns);
  const archiveDir = path.join(WORK, 'pv', `${id}-archive`);
  const v = volumesFor(ns, provider, archiveDir, 2);
  const objects = (primaryMember: number) => synth(ns, (chart) => new ArchivingPostgres(chart, 'pg', {
    name: 'pg', replicas: 2, primaryMember, replicationPassword: REPLICATION, storage: storage(chart, provider, t, minio, `roundtrip/${id}`),
    superuserPassword: PASSWORD, archiveTimeout: Duration.seconds(5),
  }));
  apply(dir, 'setup.yaml', [namespaceObject(ns), ...v.objects]);
  apply(dir, 'objects.yaml', objects(0));
  await waitReady(ns, 300_000);
  const p0 = db(ns);
  const p1 = db(ns, 'pg-1-0');
  await p0.sql(SCHEMA);
  await p0.sql('CREATE EXTENSION IF NOT EXISTS amcheck');
  await p0.sql(batchSql(1, 1, 100));
  await waitReady(ns, 300_000, 'pg-1-0');
  await p0.sql(batchSql(2, 101, 200));
  const lsn = await p0.sql('SELECT pg_current_wal_lsn()');
  await until(`the standby replayed up to ${lsn}`, 120_000, async () => (await p1.sql(`SELECT pg_last_wal_replay_lsn() >= '${lsn}'::pg_lsn`) === 't' ? true : undefined));
  laps.lap('primary and standby Ready, 200 rows replayed');
  // 1. The old primary accepts no writes: its StatefulSet scaled to 0.
  must('scale statefulset pg to 0', kubectl(['scale', 'statefulset', 'pg', '-n', ns, '--replicas=0']));
  await podGone(ns, 'pg-0', 120_000);
  laps.lap('1. statefulset pg scaled to 0, pg-0 gone');
  // 2. promote.sh in the standby's pod.
  const pr = kubectl(['exec', '-n', ns, 'pg-1-0', '-c', 'postgres', '--', 'sh', '/etc/pg-walg/config/promote.sh'], undefined, 240_000);
  const said = /promoted: \S+ is a primary on timeline (\S+)/.exec(`${pr.out}${pr.err}`);
  if (!pr.ok || !said) throw new Error(`promote.sh in pg-1-0: ${pr.ok ? 'exited 0' : 'failed'}: ${`${pr.out}${pr.err}`.slice(-1500)}`);
  if (await p1.sql('SELECT pg_is_in_recovery()') !== 'f') throw new Error('pg-1-0 is still in recovery after promote.sh');
  const timeline = parseInt((await p1.sql('SELECT pg_walfile_name(pg_current_wal_lsn())')).slice(0, 8), 16);
  if (timeline < 2) throw new Error(`the promoted member writes on timeline ${timeline}: expected a new one`);
  await p1.sql(batchSql(3, 201, 300));
  await waitArchived(p1, await p1.sql('SELECT pg_walfile_name(pg_switch_wal())'));
  laps.lap(`2. promote.sh: pg-1-0 a primary on timeline ${timeline}, 100 rows written there and archived`);
  // 3. primaryMember 1, applied. The old primary's StatefulSet was scaled to 0 by another field manager: a
  // server-side apply that sets replicas back to 1 is refused as a conflict unless forced (kubectl apply
  // --server-side --force-conflicts), as an apply by another tool would have to be too.
  const f = path.join(dir, 'objects-primary-1.yaml');
  fs.writeFileSync(f, Yaml.stringify(...objects(1)));
  let applied = kubectl(['apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '-f', f]);
  let how = 'applied';
  if (!applied.ok && /conflict/i.test(applied.err)) {
    how = `applied with --force-conflicts (without: ${applied.err.split('\n').find((l) => /conflict/i.test(l))?.trim() ?? applied.err.slice(0, 200)})`;
    applied = kubectl(['apply', '--server-side', '--force-conflicts', `--field-manager=${FIELD_MANAGER}`, '-f', f]);
  }
  if (!applied.ok) throw new Error(`apply primaryMember 1: ${applied.err}`);
  must('rollout of pg-1', kubectl(['rollout', 'status', 'statefulset/pg-1', '-n', ns, '--timeout=240s'], undefined, 260_000));
  await waitReady(ns, 240_000, 'pg-1-0');
  if (await p1.sql('SELECT pg_is_in_recovery()') !== 'f') throw new Error('pg-1-0 is in recovery under primaryMember 1');
  await p1.sql(batchSql(4, 301, 400));
  const sbReplicas = kubectl(['get', 'statefulset', 'pg', '-n', ns, '-o', 'jsonpath={.spec.replicas}']).out;
  // The old primary's pod, re-created with the new spec on its old claim, refuses its data and says what to do.
  let refusal = '';
  await until('the old primary\'s pod refusing its primary\'s data', 240_000, async () => {
    for (const previous of [[], ['--previous']]) {
      const l = kubectl(['logs', '-n', ns, 'pg-0', '-c', 'postgres', ...previous]);
      refusal = `${l.out}`.split('\n').find((x) => /its data is a primary's.*delete this pod's PersistentVolumeClaim/.test(x)) ?? '';
      if (refusal) return true;
    }
    return undefined;
  }, () => podReport(ns));
  const ready0 = kubectl(['get', 'pod', 'pg-0', '-n', ns, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']).out;
  if (ready0 === 'True') throw new Error('the old primary\'s pod is Ready as a standby on its primary\'s data');
  laps.lap(`3. primaryMember 1 ${how}: pg-1-0 re-created, a primary, 100 more rows; statefulset pg back to ${sbReplicas} pod, pg-0 refuses: ${refusal.replace(/^.*ERROR: /, '').slice(0, 120)}…`);
  // 4. Its claim deleted, then its pod: a new claim, bound to a new volume (a provisioner's part), and a new standby.
  must('delete pvc data-pg-0', kubectl(['delete', 'pvc', 'data-pg-0', '-n', ns, '--wait=false']));
  must('delete pod pg-0', kubectl(['delete', 'pod', 'pg-0', '-n', ns, '--wait=true', '--timeout=120s'], undefined, 140_000));
  must(`delete pv ${ns}-data`, kubectl(['delete', 'pv', `${ns}-data`, '--wait=false']));
  apply(dir, 'volume-rebuilt.yaml', [localVolume(`${ns}-data-rebuilt`, path.join(WORK, 'pv', `${ns}-data-rebuilt`), { namespace: ns, name: 'data-pg-0' }, '10Gi')]);
  let stuck = '';
  try {
    await waitReady(ns, 180_000);
  } catch (e) {
    // A pod re-created before its old claim was gone still names the claim being deleted: deleted again.
    stuck = `; the re-created pg-0 waited on the claim being deleted (${(e as Error).message.slice(0, 160)}), its pod deleted once more`;
    must('delete pod pg-0 again', kubectl(['delete', 'pod', 'pg-0', '-n', ns, '--wait=true', '--timeout=120s'], undefined, 140_000));
    await waitReady(ns, 240_000);
  }
  const made = /making a hot standby of (\S+) from base backup (base_\S+)/.exec(postgresLog(ns, 'pg-0'));
  if (!made || made[1] !== 'pg-1-0.pg-pods') throw new Error(`the rebuilt pg-0 was not made a standby of pg-1-0.pg-pods: ${postgresLog(ns, 'pg-0').slice(-1500)}`);
  const lsn2 = await p1.sql('SELECT pg_current_wal_lsn()');
  await until(`the rebuilt standby replayed up to ${lsn2}`, 180_000, async () => (await p0.sql(`SELECT pg_last_wal_replay_lsn() >= '${lsn2}'::pg_lsn`) === 't' ? true : undefined),
    () => 'see pg-0');
  const receiver = await receiverState(p0);
  if (!receiver.startsWith(`streaming from pg-1-0.pg-pods on timeline ${timeline},`)) throw new Error(`the rebuilt standby: ${receiver}`);
  const dump = await takeDump(p1);
  if (dump.rows !== 420) throw new Error(`the new primary holds ${dump.rows} rows, expected 400 orders and 20 customers`);
  const readOnly: Db = { sql: (q: string) => (/^CREATE EXTENSION IF NOT EXISTS amcheck$/.test(q) ? Promise.resolve('') : p0.sql(q)) };
  await judgeRestore(readOnly, t.major, dump, 'the rebuilt standby\'s rows');
  laps.lap(`4. pvc data-pg-0 and pod pg-0 deleted: made again from ${made[2]}, ${receiver}, ${dump.rows} rows equal (dump, amcheck)${stuck}`);
  await deleteNamespace(ns, [...v.names.filter((n) => n !== `${ns}-data`), `${ns}-data-rebuilt`]);
  laps.lap('namespace deleted');
  return laps.toString();
}

/** The library's metrics the metrics cell reads (as the e2e's metrics scenario). */
const VERIFY_WATCHED = ['pg_walg_wal_verify_integrity', 'pg_walg_wal_verify_timeline', 'pg_walg_wal_verify_lost_segments', 'pg_walg_wal_verify_pending_segments'];
const WATCHED = ['pg_up', 'pg_walg_server_in_recovery', 'pg_walg_archiver_archived_count', 'pg_walg_archiver_failed_count', 'pg_walg_archiver_failing',
  'pg_walg_archiver_seconds_since_last_archived', 'pg_walg_archive_status_ready_segments', 'pg_walg_backup_last_result',
  'pg_walg_backup_last_success_time_seconds', 'pg_walg_backup_count'];

/**
 * metrics: an ArchivingPostgres with `metrics` (the exporter container, image EXPORTER_IMAGE: custom()'s default on 14) in a restricted
 * namespace, Ready with its three containers; its exporter scraped as Prometheus would, over HTTP at the pod's IP
 * and port 9187 from the run's network namespace (the pods' CNI bridge is there): the first base backup reported,
 * a primary; after rows are written and their WAL segment archived, the archiving reported (archived > 0, not
 * failing, nothing waiting); where the version's WAL-G has wal-verify (1.1.3, at 14), the walg-backup sidecar's WAL
 * chain check reported too (integrity and timeline 0, nothing lost; its first run comes within a minute).
 */
async function metricsCell(provider: Provider, t: Target, minio: StorageServer): Promise<string> {
  const laps = new Laps();
  const { id, ns, dir, v } = ownArchiveCell('metrics', provider, t);
  apply(dir, 'objects.yaml', synth(ns, (chart) => new ArchivingPostgres(chart, 'pg', {
    name: 'pg', storage: storage(chart, provider, t, minio, `roundtrip/${id}`), superuserPassword: PASSWORD, archiveTimeout: Duration.seconds(5),
    // The version's own exporter where it is the one built here (custom()'s default), else named.
    metrics: t.version.exporterImage === EXPORTER_IMAGE ? {} : { image: EXPORTER_IMAGE },
  })));
  await waitReady(ns, 300_000);
  const ip = podIp(ns, 'pg-0');
  laps.lap(`Ready (${ip})`);
  const num = (m: Samples, n: string) => m.get(n) ?? NaN;
  let last: Samples = new Map();
  const scraped = (what: string, ok: (m: Samples) => boolean, timeoutMs = 120_000) => until(what, timeoutMs, async () => {
    last = await scrape(EXPORTER_PORT, 5000, ip);
    return ok(last) ? last : undefined;
  }, () => `last scrape of http://${ip}:${EXPORTER_PORT}/metrics: ${showSamples(last, WATCHED)}`);
  const first = await scraped('the first base backup reported', (m) => num(m, 'pg_up') === 1 && num(m, 'pg_walg_backup_last_result') === 1 && num(m, 'pg_walg_backup_count') >= 1);
  if (num(first, 'pg_walg_server_in_recovery') !== 0) throw new Error(`pg_walg_server_in_recovery of a primary: ${showSamples(first, WATCHED)}`);
  laps.lap(`first scrape: ${showSamples(first, ['pg_up', 'pg_walg_server_in_recovery', 'pg_walg_backup_last_result', 'pg_walg_backup_count'])}`);
  const a = db(ns);
  await a.sql(SCHEMA);
  await a.sql(batchSql(1, 1, 100));
  const seg = await a.sql('SELECT pg_walfile_name(pg_switch_wal())');
  await waitArchived(a, seg);
  const archived = Number(await a.sql('SELECT archived_count FROM pg_stat_archiver'));
  const after = await scraped('the archiving reported', (m) => num(m, 'pg_walg_archiver_archived_count') >= archived && archived > 0
    && num(m, 'pg_walg_archiver_failing') === 0 && num(m, 'pg_walg_archive_status_ready_segments') === 0 && num(m, 'pg_walg_archiver_seconds_since_last_archived') < 60);
  laps.lap(`${seg} archived; scraped: ${showSamples(after, WATCHED)}`);
  if (hasWalgFeature(t.version, 'walVerify')) {
    // The WAL chain check (walVerify, on by default where WAL-G has it): run by the walg-backup sidecar on the node,
    // its report read by the exporter: a whole chain on one timeline, nothing lost.
    const verified = await scraped('the WAL chain check reported', (m) => num(m, 'pg_walg_wal_verify_integrity') === 0
      && num(m, 'pg_walg_wal_verify_timeline') === 0 && num(m, 'pg_walg_wal_verify_lost_segments') === 0 && num(m, 'pg_walg_wal_verify_last_ok_time_seconds') > 0);
    laps.lap(`WAL chain check: ${showSamples(verified, VERIFY_WATCHED)}`);
  }
  await deleteNamespace(ns, v.names);
  laps.lap('namespace deleted');
  return laps.toString();
}

/** An LSN such as 0/4000000 as one number: a 64-bit WAL position, so a bigint. */
function lsnValue(lsn: string): bigint {
  const [hi, lo] = lsn.split('/');
  return (BigInt(`0x${hi}`) << 32n) + BigInt(`0x${lo}`);
}

/** The drill's one result line (drill.sh), passed or failed: as e2e/run.ts's restore-drill scenario reads it. */
const DRILL_PASSED = /^pg-walg-restore-drill: result=passed backup=(base_[0-9A-F]{24}) timeline=(\d+) replayed-to=([0-9A-F]+\/[0-9A-F]+) duration=\d+s$/m;
const DRILL_FAILED = /^pg-walg-restore-drill: result=failed step=(\w+) duration=\d+s reason="(.*)"$/m;

/** Until the Job has a Complete or a Failed condition (at most timeoutMs): which, with its reason. */
async function jobOutcome(ns: string, job: string, timeoutMs: number): Promise<{ condition: 'Complete' | 'Failed'; reason: string }> {
  let last = '';
  return until(`job ${ns}/${job} complete or failed`, timeoutMs, async () => {
    const r = kubectl(['get', 'job', job, '-n', ns, '-o', 'jsonpath={range .status.conditions[?(@.status=="True")]}{.type}={.reason}{"\\n"}{end}']);
    last = r.out || r.err;
    for (const line of r.out.split('\n')) {
      const [type, reason] = line.split('=');
      if (type === 'Complete' || type === 'Failed') return { condition: type, reason: reason ?? '' };
    }
    return undefined;
  }, () => `its true conditions: ${JSON.stringify(last)}`);
}

/**
 * One drill as the README's runbook runs one now: `kubectl create job --from=cronjob/pg-restore-drill`, waited
 * for until the Job completes or fails; its container's log.
 */
async function runDrill(ns: string, job: string): Promise<{ condition: 'Complete' | 'Failed'; reason: string; log: string }> {
  must(`create job ${job}`, kubectl(['create', 'job', job, '-n', ns, '--from=cronjob/pg-restore-drill']));
  const outcome = await jobOutcome(ns, job, 420_000);
  const l = kubectl(['logs', '-n', ns, `job/${job}`, '-c', 'restore-drill', '--tail=400']);
  return { ...outcome, log: `${l.out}${l.ok ? '' : l.err}` };
}

/**
 * restore-drill: an ArchivingPostgres with `restoreDrill` (scratch volume 1 GiB, an emptyDir on the node; a check
 * query that raises unless every row of the two batches is there), rows written and their WAL archived; then its
 * drill run now as the README says (a Job from the CronJob), by the real Job controller on the real kubelet under
 * Pod Security restricted: the Job completes, its log's result=passed line names timeline 1, a base backup that
 * starts before the rows (so they can only come from the WAL replayed) and a replay that reaches past them, and the
 * live server kept serving. Then the same YAML applied with a check query that fails (a table
 * that is not there): the next drill's Job fails (backoffLimit 0, reason BackoffLimitExceeded, which kube-state-metrics
 * reports and the alert rules watch) with result=failed step=check naming the error, in one pod; pg-0 is the same
 * pod, never restarted, after the drill's change.
 */
async function restoreDrillCell(provider: Provider, t: Target, minio: StorageServer): Promise<string> {
  const laps = new Laps();
  const { id, ns, dir, v } = ownArchiveCell('drill', provider, t);
  const rows = 200;
  const objects = (checkQuery: string) => synth(ns, (chart) => new ArchivingPostgres(chart, 'pg', {
    name: 'pg', storage: storage(chart, provider, t, minio, `roundtrip/${id}`), superuserPassword: PASSWORD, archiveTimeout: Duration.seconds(5),
    restoreDrill: { schedule: Cron.schedule({ minute: '30', hour: '3' }), scratchSize: Size.gibibytes(1), checkQuery },
  }));
  const check = `DO $$ BEGIN IF (SELECT count(*) FROM orders) <> ${rows} THEN RAISE EXCEPTION 'expected ${rows} rows'; END IF; END $$`;
  apply(dir, 'objects.yaml', objects(check));
  await waitReady(ns, 300_000);
  laps.lap('Ready');
  const a = db(ns);
  await a.sql(SCHEMA);
  // Where the WAL stood before the rows and after them: the drill's base backup must start before the first
  // (so that the rows can only come from the WAL it replays) and its replay must reach past the last.
  const beforeRows = await a.sql('SELECT pg_walfile_name(pg_current_wal_lsn())');
  await a.sql(batchSql(1, 1, rows / 2));
  await a.sql(batchSql(2, rows / 2 + 1, rows));
  const afterRows = await a.sql('SELECT pg_current_wal_lsn()');
  const seg = await a.sql('SELECT pg_walfile_name(pg_switch_wal())');
  await waitArchived(a, seg);
  laps.lap(`${rows} rows written, ${seg} archived`);
  const live = () => must('pg-0\'s uid and restarts', kubectl(['get', 'pod', 'pg-0', '-n', ns, '-o', 'jsonpath={.metadata.uid} {.status.containerStatuses[*].restartCount}']));
  const liveBefore = live();

  const good = await runDrill(ns, 'drill-now');
  const passed = DRILL_PASSED.exec(good.log);
  if (good.condition !== 'Complete' || !passed) {
    throw new Error(`the drill of the whole archive: job ${good.condition} (${good.reason}) without a result=passed line: ${good.log.slice(-2000)}`);
  }
  if (passed[2] !== '1') throw new Error(`the drill replayed to timeline ${passed[2]}, not 1: ${passed[0]}`);
  // base_<timeline 8><log 8><seg 8>: the segment of the backup's start, as a WAL file name, compares as one.
  const backupStart = passed[1].slice('base_'.length);
  if (backupStart >= beforeRows) {
    throw new Error(`the drill restored ${passed[1]}, which starts at or after ${beforeRows}, where the rows began: it proves nothing of the WAL's replay`);
  }
  if (lsnValue(passed[3]) < lsnValue(afterRows)) throw new Error(`the drill replayed to ${passed[3]}, before the rows' end ${afterRows}: ${passed[0]}`);
  laps.lap(`drill Complete: ${passed[0].replace(/^pg-walg-restore-drill: /, '')}`);
  if (await a.sql('SELECT count(*) FROM orders') !== String(rows)) throw new Error('the live server lost rows during the drill');

  apply(dir, 'objects.yaml', objects('SELECT * FROM no_such_table'));
  const bad = await runDrill(ns, 'drill-bad-check');
  const failed = DRILL_FAILED.exec(bad.log);
  if (bad.condition !== 'Failed' || bad.reason !== 'BackoffLimitExceeded' || !failed || failed[1] !== 'check' || !/no_such_table/.test(failed[2])) {
    throw new Error(`the drill with a failing check query: job ${bad.condition} (${bad.reason}), not Failed (BackoffLimitExceeded) with "result=failed step=check" naming the error: ${bad.log.slice(-2000)}`);
  }
  const pods = must('the failed drill\'s pods', kubectl(['get', 'pods', '-n', ns, '-l', 'job-name=drill-bad-check', '-o', 'name'])).split('\n').filter(Boolean);
  if (pods.length !== 1) throw new Error(`the failed drill ran ${pods.length} pods (${pods.join(' ')}), not one: a failed drill is a finding, never retried`);
  laps.lap(`failing check: Failed (${bad.reason}): ${failed[0].replace(/^pg-walg-restore-drill: /, '').slice(0, 160)}`);
  // The drill's settings live outside the database's pod template: changing them restarts nothing.
  const liveAfter = live();
  if (liveAfter !== liveBefore) throw new Error(`pg-0 changed (uid and restarts ${liveBefore} → ${liveAfter}) when only the drill's check query did`);
  laps.lap(`pg-0 untouched by the drill's change (uid and restarts: ${liveAfter})`);
  await deleteNamespace(ns, v.names);
  laps.lap('namespace deleted');
  return laps.toString();
}

/** E2E_CLUSTER_SCENARIOS (comma-separated; unset: all; `none`: the round trips only): whether a scenario runs. */
const want = (scenario: string) => !process.env.E2E_CLUSTER_SCENARIOS || process.env.E2E_CLUSTER_SCENARIOS.split(',').includes(scenario);
/** E2E_CLUSTER_ROUNDTRIP=0: no `roundtrip` cells (nor pitr-time, wrong-credentials and killed-mid-write). */
const roundTripsWanted = process.env.E2E_CLUSTER_ROUNDTRIP !== '0';

/**
 * The PostgresVersions of the cells: 11 on KubeDB's catalog version (WAL-G 0.2.19), 14 on the modern path (1.1.3);
 * E2E_CLUSTER_MAJORS (comma-separated, e.g. 14) keeps some of them.
 */
function targets(): Target[] {
  const lines = walgLines();
  const out: Target[] = [];
  const majors = process.env.E2E_CLUSTER_MAJORS?.split(',').map(Number);
  for (const [major, id] of [[11, '0.2.19'], [14, '1.1.3']] as const) {
    if (majors && !majors.includes(major)) continue;
    const walg = lines.find((l) => l.id === id);
    if (!walg) throw new Error(`no WAL-G ${id} in the e2e's cache (npx projen install:tools)`);
    const version = lineOf(walg).versionFor(major);
    if (typeof version === 'string') throw new Error(`WAL-G ${id}, PostgreSQL ${major}: ${version}`);
    out.push({ major, version, walg });
  }
  return out;
}

/** Runs every round-trip cell; each result with its seconds. Stops what it started, on failure too. */
export async function roundTrips(log: (r: CellResult) => void): Promise<CellResult[]> {
  const results: CellResult[] = [];
  const record = (r: CellResult) => { results.push(r); log(r); };
  const cell = async (name: string, fn: () => Promise<string>) => {
    const t = Date.now();
    try {
      record({ name, ok: true, detail: await fn(), seconds: (Date.now() - t) / 1000 });
    } catch (e) {
      record({ name, ok: false, detail: (e as Error).message.replace(/\s*\n\s*/g, ' '), seconds: (Date.now() - t) / 1000 });
    }
  };
  let minio: StorageServer | undefined;
  try {
    let ready = false;
    await cell('roundtrip-setup', async () => {
      const t0 = Date.now();
      const procs = await startControllers();
      const up = ((Date.now() - t0) / 1000).toFixed(0);
      const dns = await startDns();
      const images = [...targets().flatMap((t) => buildImages(t.version, t.major, t.walg)), ...(want('metrics') ? [buildExporterImage()] : [])];
      const built = ((Date.now() - t0) / 1000).toFixed(0);
      minio = await startMinio({ host: required('CLUSTER_NODE_IP'), tls: true, dir: path.join(WORK, 'minio') });
      ready = true;
      return `kube-controller-manager (pid ${procs[0].pid}) and kube-scheduler (pid ${procs[1].pid}) up in ${up} s; ${dns.detail}; ` +
        `images built and imported by ${built} s: ${images.join(', ')}; MinIO at ${minio.endpoint}`;
    });
    if (!ready) return results;
    for (const t of targets()) {
      const label = `PostgreSQL ${t.major} (${t.version.name}, WAL-G ${t.walg.id})`;
      for (const provider of ['minio', 'local'] as const) {
        if (!roundTripsWanted) continue;
        let archived: Archived | undefined;
        await cell(`roundtrip ${provider} ${label}`, async () => {
          const laps = new Laps();
          const a = await archiveThenDelete(provider, t, minio!, laps);
          await restoreAndJudge(`rt-${a.id}-restored`, provider, t, minio!, a, a.dump2, 'the rows restored from the archive of a deleted namespace', laps);
          archived = a;
          return laps.toString();
        });
        if (!archived) continue;
        const a: Archived = archived;
        if (want('pitr-time')) {
          await cell(`pitr-time ${provider} ${label}`, async () => {
            const laps = new Laps();
            await restoreAndJudge(`rt-${a.id}-pitr`, provider, t, minio!, a, a.dump1, `the rows at ${a.t1}`, laps, { time: a.t1 });
            return `to ${a.t1}: ${laps}`;
          });
        }
        if (provider === 'minio' && want('wrong-credentials')) {
          await cell(`wrong-credentials minio ${label}`, () => wrongCredentials(t, minio!, a));
        }
      }
      if (roundTripsWanted && want('killed-mid-write')) {
        await cell(`killed-mid-write local ${label}`, () => killedMidWrite('local', t, minio!));
      }
      for (const provider of ['minio', 'local'] as const) {
        if (want('standby')) await cell(`standby ${provider} ${label}`, () => standbyCell(provider, t, minio!));
        if (want('metrics')) await cell(`metrics ${provider} ${label}`, () => metricsCell(provider, t, minio!));
        if (want('restore-drill')) await cell(`restore-drill ${provider} ${label}`, () => restoreDrillCell(provider, t, minio!));
      }
      // The promotion runbook on one provider (its steps do not depend on the storage; the e2e runs it on each).
      if (want('promotion')) await cell(`promotion minio ${label}`, () => promotionCell('minio', t, minio!));
    }
  } finally {
    await stopAll();
  }
  return results;
}
