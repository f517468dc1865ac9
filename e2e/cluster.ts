// `npx projen e2e:cluster`'s checks, run by tools/cluster/cluster.sh inside the network namespace it made,
// against the kube-apiserver there (KUBECONFIG; etcd behind it; Pod Security admission on).
//
// The manifests are the ones the project already synthesizes: the example app (examples/typescript, the
// `example` task) and every case of the validation corpus (validate/corpus.ts, as `npx projen validate`
// checks it offline). Each set is a cell, applied into a namespace of its own that enforces the Pod Security
// level the set declares (`restricted` for all but the corpus's hostPath and NFS cases):
//
//   1. `kubectl apply --server-side` of every object (the API server's strict field validation and
//      admission): each must be admitted, with no Pod Security warning for its pod templates;
//   2. the pod the StatefulSet controller would create from each template (ordinal 0, with its claim
//      volumes) is created for real: Pod Security enforces on pods only, and there is no controller
//      manager here to create them. The pods stay Pending (no scheduler, no kubelet). Likewise the pod the Job
//      controller would make from each CronJob's Job template (the restore drill's).
//
// Only the namespace is changed (metadata.namespace), so that the cells do not collide. What a cluster has
// before such an app is applied is created first: the service accounts the pods name (and `default`, which
// a controller manager would make) and the priority classes they name (the Priority admission plugin
// refuses a pod naming one that does not exist).
//
// Negative cells, which must be refused with the API server's message, prove that the checks can fail:
// a copy of a restricted pod made privileged; a copy with an unknown field (runAsNonroot); the hostPath
// and NFS cases in a `restricted` namespace.
//
// With a node (PG_WALG_CLUSTER_NODE=1: containerd and a kubelet, CLUSTER_NODE), one more cell: a pod that
// meets `restricted`, from an image built for the run, runs on it and its log is read through the API server.
// Then the namespaces of these cells are deleted and e2e/cluster-roundtrip.ts starts the controller manager,
// the scheduler and the cluster's DNS (CoreDNS) and runs the library's pods for real: archive → delete the
// namespace → restore, a hot standby streaming from its primary, the metrics exporter scraped.
//
// Prints `PASS|FAIL <cell>: <detail>` per cell and ends with `N passed, N failed`; exits 1 on a failure.
// Each kubectl call is bounded (--request-timeout, and a process timeout).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Yaml } from 'cdk8s';
import * as YAML from 'yaml';
import { roundTrips } from './cluster-roundtrip';
import { buildCorpus, KubeObject } from '../validate/corpus';

const ROOT = path.resolve(__dirname, '..');
const KUBECTL = required('CLUSTER_KUBECTL');
const WORK = required('CLUSTER_WORK');
const PSA_VERSION = required('POD_SECURITY_VERSION');
const FIELD_MANAGER = 'e2e-cluster';

type Level = 'restricted' | 'baseline' | 'privileged';

interface Cell {
  readonly name: string;
  readonly objects: KubeObject[];
  /** The Pod Security level the cell's namespace enforces. */
  readonly level: Level;
  /** Undefined: every object must be admitted. Otherwise the refusal expected (matched on kubectl's stderr). */
  readonly refused?: RegExp;
}

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this through tools/cluster/run.sh (npx projen e2e:cluster)`);
  return v;
}

interface Run { readonly ok: boolean; readonly out: string; readonly err: string }

function kubectl(args: string[], input?: string): Run {
  const r = spawnSync(KUBECTL, ['--request-timeout=30s', ...args], { input, encoding: 'utf8', timeout: 120_000 });
  const err = (r.stderr ?? '') + (r.error ? `\n${r.error.message}` : '');
  return { ok: r.status === 0, out: r.stdout ?? '', err: err.trim() };
}

const clone = <T>(o: T): T => structuredClone(o);

/** A DNS label for a cell's namespace. */
function namespaceName(i: number, name: string): string {
  return `c${i}-${name.toLowerCase().replace(/[^a-z0-9-]+/g, '-')}`.slice(0, 63).replace(/-+$/, '');
}

/** The pod the StatefulSet controller makes for ordinal 0 (identity labels and the claim volumes). */
function statefulSetPod(sts: any, namespace: string): any {
  const name = `${sts.metadata.name}-0`;
  const template = clone(sts.spec.template);
  const spec = template.spec;
  spec.hostname = spec.hostname ?? name;
  if (sts.spec.serviceName) spec.subdomain = spec.subdomain ?? sts.spec.serviceName;
  spec.volumes = [
    ...(spec.volumes ?? []),
    ...(sts.spec.volumeClaimTemplates ?? []).map((c: any) => ({
      name: c.metadata.name,
      persistentVolumeClaim: { claimName: `${c.metadata.name}-${name}` },
    })),
  ];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...template.metadata,
      name,
      namespace,
      labels: { ...(template.metadata?.labels ?? {}), 'statefulset.kubernetes.io/pod-name': name, 'apps.kubernetes.io/pod-index': '0' },
    },
    spec,
  };
}

/** The pod the Job controller makes from a CronJob's Job template (the restore drill's): its template, as a Job's pod. */
function cronJobPod(cronJob: any, namespace: string): any {
  const template = clone(cronJob.spec.jobTemplate.spec.template);
  const job = `${cronJob.metadata.name}-29000000`;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { ...template.metadata, name: `${job}-abcde`, namespace, labels: { ...(template.metadata?.labels ?? {}), 'job-name': job } },
    spec: template.spec,
  };
}

function namespaceObject(name: string, level: Level): object {
  const labels: Record<string, string> = {};
  for (const mode of ['enforce', 'warn']) {
    labels[`pod-security.kubernetes.io/${mode}`] = level;
    labels[`pod-security.kubernetes.io/${mode}-version`] = PSA_VERSION;
  }
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } };
}

/** Applies one cell: ok when it behaved as expected (admitted, or refused as the cell expects). */
function runCell(i: number, cell: Cell): { ok: boolean; detail: string } {
  const ns = namespaceName(i, cell.name);
  const dir = path.join(WORK, 'cells', ns);
  fs.mkdirSync(dir, { recursive: true });
  const objects = cell.objects.map((o) => ({ ...clone(o), metadata: { ...clone(o.metadata), namespace: ns } }));
  const pods = [
    ...objects.filter((o) => o.kind === 'StatefulSet').map((s) => statefulSetPod(s, ns)),
    ...objects.filter((o) => o.kind === 'CronJob').map((c) => cronJobPod(c, ns)),
  ];
  const accounts = new Set(['default', ...pods.map((p) => p.spec.serviceAccountName).filter((n): n is string => !!n)]);
  // What the cluster must have before the pods are admitted: their service accounts and priority classes.
  const priorities = new Set(pods.map((p) => p.spec.priorityClassName).filter((n): n is string => !!n && !n.startsWith('system-')));
  const setup = [
    namespaceObject(ns, cell.level),
    ...[...accounts].map((name) => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: ns } })),
    ...[...priorities].map((name) => ({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value: 1000 })),
  ];
  const setupFile = path.join(dir, 'setup.yaml');
  fs.writeFileSync(setupFile, Yaml.stringify(...setup));
  const s = kubectl(['apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '-f', setupFile]);
  if (!s.ok) return { ok: false, detail: `namespace setup refused: ${s.err}` };

  const errors: string[] = [];
  const objectsFile = path.join(dir, 'objects.yaml');
  fs.writeFileSync(objectsFile, Yaml.stringify(...objects));
  const a = kubectl(['apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '-f', objectsFile]);
  if (!a.ok) errors.push(a.err);
  else if (/would violate PodSecurity/.test(a.err)) errors.push(a.err);
  else {
    // Every object is there, as applied.
    const g = kubectl(['get', '-n', ns, '-f', objectsFile, '-o', 'name']);
    const got = g.out.trim().split('\n').filter(Boolean).length;
    if (!g.ok || got !== objects.length) errors.push(`kubectl get found ${got} of ${objects.length} objects: ${g.err}`);
  }
  for (const pod of pods) {
    const podFile = path.join(dir, `pod-${pod.metadata.name}.yaml`);
    fs.writeFileSync(podFile, Yaml.stringify(pod));
    const p = kubectl(['create', `--field-manager=${FIELD_MANAGER}`, '-f', podFile]);
    if (!p.ok) errors.push(p.err);
  }

  const summary = `${objects.length} objects, ${pods.length} pods, namespace ${ns} (${cell.level}:${PSA_VERSION})`;
  const message = errors.join(' | ').replace(/\s*\n\s*/g, ' ');
  if (!cell.refused) {
    return errors.length === 0 ? { ok: true, detail: `${summary} admitted` } : { ok: false, detail: `${summary}: ${message}` };
  }
  if (errors.length === 0) return { ok: false, detail: `${summary} admitted, but must be refused (${cell.refused})` };
  return cell.refused.test(message)
    ? { ok: true, detail: `refused as expected: ${message}` }
    : { ok: false, detail: `refused, but not with ${cell.refused}: ${message}` };
}

/** The example app, synthesized as the `example` task does, into the run's directory. */
function exampleObjects(): KubeObject[] {
  const out = path.join(WORK, 'example');
  const r = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'ts-node'), ['--project', 'test/tsconfig.json', 'examples/typescript/main.ts'], {
    cwd: ROOT, encoding: 'utf8', timeout: 300_000, env: { ...process.env, CDK8S_OUTDIR: out, TS_NODE_TRANSPILE_ONLY: 'true' },
  });
  if (r.status !== 0) throw new Error(`examples/typescript/main.ts failed: ${r.stderr}`);
  return fs.readdirSync(out).filter((f) => f.endsWith('.yaml')).sort()
    .flatMap((f) => YAML.parseAllDocuments(fs.readFileSync(path.join(out, f), 'utf8')).map((d) => d.toJSON()).filter(Boolean));
}

/** A pod from the run's busybox image runs on the node, and its log comes back through the API server. */
function nodeCell(node: string): { ok: boolean; detail: string } {
  const ns = 'node-smoke';
  const line = 'hello from the e2e node';
  const file = path.join(WORK, 'node-pod.yaml');
  fs.writeFileSync(file, Yaml.stringify(
    namespaceObject(ns, 'restricted'),
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: ns } },
    {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'hello', namespace: ns },
      spec: {
        nodeName: node, automountServiceAccountToken: false,
        securityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: { type: 'RuntimeDefault' } },
        containers: [{
          name: 'hello', image: 'e2e.local/busybox:1', imagePullPolicy: 'Never',
          command: ['/bin/sh', '-c', `echo ${line}; id -u; exec sleep 600`],
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
        }],
      },
    },
  ));
  const c = kubectl(['apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '-f', file]);
  if (!c.ok) return { ok: false, detail: `refused: ${c.err}` };
  let phase = '';
  for (let i = 0; i < 90 && phase !== 'Running'; i++) {
    phase = kubectl(['get', 'pod', 'hello', '-n', ns, '-o', 'jsonpath={.status.phase}']).out;
    if (phase !== 'Running') spawnSync('sleep', ['1']);
  }
  if (phase !== 'Running') {
    const d = kubectl(['describe', 'pod', 'hello', '-n', ns]);
    return { ok: false, detail: `pod not Running after 90 tries (${phase}): ${d.out.split('\n').slice(-8).join(' ')}` };
  }
  let log = '';
  let err = '';
  for (let i = 0; i < 10 && !log.includes(line); i++) {
    ({ out: log, err } = kubectl(['logs', 'hello', '-n', ns]));
    if (!log.includes(line)) spawnSync('sleep', ['1']);
  }
  return log.includes(line) && /^65534$/m.test(log)
    ? { ok: true, detail: `pod hello Running on ${node} (restricted:${PSA_VERSION}), log: ${log.trim().replace(/\n/g, ' | ')}` }
    : { ok: false, detail: `pod Running, but its log is ${JSON.stringify(log)} ${err}` };
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const corpus = buildCorpus();
  const cells: Cell[] = [{ name: 'example', objects: exampleObjects(), level: 'restricted' }];
  for (const e of corpus.entries) {
    cells.push({ name: e.id, objects: e.objects, level: e.podSecurityLevel });
    if (e.podSecurityLevel !== 'restricted') {
      // The case says it needs a weaker level: a restricted namespace must refuse its pod.
      const volume = e.hostPath ? 'hostPath' : 'nfs';
      cells.push({
        name: `${e.id}-in-restricted`, objects: e.objects, level: 'restricted',
        refused: new RegExp(`violates PodSecurity "restricted:${PSA_VERSION}": .*restricted volume types .*"${volume}"`),
      });
    }
  }
  // Negative cells: copies of the first restricted case, each with one change the API server must refuse.
  const base = corpus.entries.find((e) => e.podSecurityLevel === 'restricted')!;
  const privileged = clone(base.objects);
  const sts = privileged.find((o) => o.kind === 'StatefulSet') as any;
  sts.spec.template.spec.containers[0].securityContext = { ...sts.spec.template.spec.containers[0].securityContext, privileged: true, allowPrivilegeEscalation: true };
  cells.push({
    name: `negative-privileged-${base.id}`, objects: privileged, level: 'restricted',
    refused: new RegExp(`violates PodSecurity "restricted:${PSA_VERSION}": .*privileged \\(container "${sts.spec.template.spec.containers[0].name}" must not set securityContext.privileged=true\\)`),
  });
  const typo = clone(base.objects);
  const typoSts = typo.find((o) => o.kind === 'StatefulSet') as any;
  typoSts.spec.template.spec.containers[0].securityContext.runAsNonroot = true; // a typo of runAsNonRoot
  cells.push({ name: `negative-unknown-field-${base.id}`, objects: typo, level: 'restricted', refused: /unknown field "spec\.template\.spec\.containers\[0\]\.securityContext\.runAsNonroot"|field not declared in schema/ });

  // The custom resources the library makes (the metrics option's ServiceMonitor and PrometheusRule) need their CRDs,
  // as a cluster with the Prometheus Operator has them: the ones the library's classes were imported from.
  const crdDir = path.join(__dirname, '..', 'imports', 'crds');
  for (const f of fs.readdirSync(crdDir).filter((x) => x.endsWith('.yaml')).sort()) {
    const r = kubectl(['apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '-f', path.join(crdDir, f)]);
    if (!r.ok) throw new Error(`the CRD ${f} was refused: ${r.err}`);
  }
  const established = kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/servicemonitors.monitoring.coreos.com', 'crd/prometheusrules.monitoring.coreos.com']);
  if (!established.ok) throw new Error(`the Prometheus Operator's CRDs were not established: ${established.err}`);

  const version = kubectl(['version', '-o', 'json']);
  const server = version.ok ? JSON.parse(version.out).serverVersion?.gitVersion : version.err;
  console.log(`# kube-apiserver ${server}, Pod Security ${PSA_VERSION}; ${cells.length} cells (example, ${corpus.entries.length} corpus cases, negatives)`);
  let passed = 0;
  let failed = 0;
  cells.forEach((cell, i) => {
    const t = Date.now();
    const r = runCell(i, cell);
    if (r.ok) passed++; else failed++;
    console.log(`${r.ok ? 'PASS' : 'FAIL'} ${cell.name} (${((Date.now() - t) / 1000).toFixed(1)} s): ${r.detail}`);
  });
  const node = process.env.CLUSTER_NODE;
  if (node) {
    const t = Date.now();
    const r = nodeCell(node);
    if (r.ok) passed++; else failed++;
    console.log(`${r.ok ? 'PASS' : 'FAIL'} node-pod-runs (${((Date.now() - t) / 1000).toFixed(1)} s): ${r.detail}`);
    // The admission cells' namespaces go (the namespace controller, started next, empties them): their
    // StatefulSets must not get pods of the controller's beside the ones made by hand above.
    const names = [...cells.map((c, i) => namespaceName(i, c.name)), 'node-smoke'];
    const d = kubectl(['delete', 'namespace', '--wait=false', ...names]);
    if (!d.ok) console.log(`# deleting the admission cells' namespaces: ${d.err}`);
    for (const rt of await roundTrips((x) => console.log(`${x.ok ? 'PASS' : 'FAIL'} ${x.name} (${x.seconds.toFixed(1)} s): ${x.detail}`))) {
      if (rt.ok) passed++; else failed++;
    }
  }
  console.log(`# ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
}

main().catch((e) => { console.log(`FAIL e2e/cluster.ts: ${(e as Error).stack ?? e}`); process.exitCode = 1; });
