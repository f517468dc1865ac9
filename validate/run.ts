// `npx projen validate`: synthesizes the corpus (validate/corpus.ts) into validate-results/corpus/ and
// checks every object, offline, with pinned tools (validate/versions.env, installed by validate/install.sh):
//
//   schema       kubeconform -strict against Kubernetes 1.27 JSON schemas generated from the release's
//                OpenAPI document with additionalProperties: false everywhere (validate/k8s-schemas.ts),
//                so an unknown field at any depth is an error; a canary with unknown fields must fail
//   kube-score   no critical finding, except those listed in validate/accepted-findings.yaml
//   kube-linter  no finding (default checks + validate/kube-linter.yaml), except the accepted ones
//
// Prints one line per check, `PASS|FAIL <check> <object or file>`, and ends with `N passed, N failed`;
// exits 1 on any failure.
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Yaml } from 'cdk8s';
import * as YAML from 'yaml';
import { buildCorpus, CorpusEntry } from './corpus';
import { generateSchemas, writeCrdSchemas } from './k8s-schemas';

const ROOT = path.resolve(__dirname, '..');
const OUT = path.join(ROOT, 'validate-results');
const CORPUS_DIR = path.join(OUT, 'corpus');
const CACHE = process.env.PG_WALG_CACHE ?? path.join(os.homedir(), '.cache', 'cdk8s-postgres-walg');
const BIN = path.join(CACHE, 'bin');

// ------------------------------------------------------------------------------------------ report ---
interface Result { readonly ok: boolean; readonly check: string; readonly subject: string; readonly detail?: string }
const results: Result[] = [];

function report(ok: boolean, check: string, subject: string, detail?: string): void {
  results.push({ ok, check, subject, detail });
  console.log(`${ok ? 'PASS' : 'FAIL'} ${check} ${subject}${detail ? ` — ${detail}` : ''}`);
}

// ------------------------------------------------------------------------------------------ config ---
function readEnvFile(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]] = m[2].replace(/^"(.*)"$/, '$1');
  }
  return out;
}
const PINS = readEnvFile(path.join(__dirname, 'versions.env'));

interface Accepted {
  readonly tool: 'kube-score' | 'kube-linter';
  readonly check: string;
  readonly entries?: string[];
  readonly exceptEntries?: string[];
  readonly objects?: string[];
  readonly message?: string;
  readonly reason: string;
  matched: number;
}

function loadAccepted(): Accepted[] {
  const file = path.join(__dirname, 'accepted-findings.yaml');
  const doc = YAML.parse(fs.readFileSync(file, 'utf8')) as { accepted?: Accepted[] };
  const list = doc?.accepted ?? [];
  list.forEach((a, i) => {
    const where = `accepted-findings.yaml entry ${i + 1} (${a?.tool} ${a?.check})`;
    if (!['kube-score', 'kube-linter'].includes(a?.tool) || typeof a.check !== 'string' || typeof a.reason !== 'string' || a.reason.trim().length < 20) {
      throw new Error(`${where}: expected tool (kube-score or kube-linter), check and a reason of a sentence or more`);
    }
    a.matched = 0;
  });
  return list;
}

const glob = (pattern: string) => new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);

interface Finding { readonly tool: Accepted['tool']; readonly check: string; readonly entry: string; readonly object: string; readonly message: string }

function acceptedBy(accepted: Accepted[], f: Finding): Accepted | undefined {
  const a = accepted.find((x) => x.tool === f.tool && x.check === f.check
    && (!x.entries || x.entries.some((g) => glob(g).test(f.entry)))
    && !(x.exceptEntries ?? []).some((g) => glob(g).test(f.entry))
    && (!x.objects || x.objects.some((g) => glob(g).test(f.object)))
    && (!x.message || new RegExp(x.message).test(f.message)));
  if (a) a.matched++;
  return a;
}

// ------------------------------------------------------------------------------------------- tools ---
function tool(name: string): string | undefined {
  const p = path.join(BIN, name);
  return fs.existsSync(p) ? p : undefined;
}

/** Checks that the installed tool is the pinned version; returns its path or undefined. */
function pinnedTool(name: string, version: string, module?: string): string | undefined {
  const p = tool(name);
  if (!p) {
    report(false, 'tool', name, `not installed in ${BIN}: run bash validate/install.sh`);
    return undefined;
  }
  let actual: string;
  if (module) {
    const info = execFileSync('go', ['version', '-m', p], { encoding: 'utf8' });
    actual = new RegExp(`\\tmod\\t${module.replace(/\./g, '\\.')}\\t(\\S+)`).exec(info)?.[1] ?? '(unknown)';
  } else {
    actual = execFileSync(p, ['version'], { encoding: 'utf8' }).trim();
  }
  report(actual === version, 'tool', name, actual === version ? version : `found ${actual}, expected ${version}: run bash validate/install.sh`);
  return actual === version ? p : undefined;
}

// ---------------------------------------------------------------------------------------- corpus ---
function writeCorpus(entries: CorpusEntry[]): Map<string, CorpusEntry> {
  fs.rmSync(CORPUS_DIR, { recursive: true, force: true });
  fs.mkdirSync(CORPUS_DIR, { recursive: true });
  const byFile = new Map<string, CorpusEntry>();
  for (const e of entries) {
    // One directory per case: kube-linter lints each directory as one set of objects (a Service
    // only matches pods of its own case), and kube-score is run on each file alone for the same reason.
    fs.mkdirSync(path.join(CORPUS_DIR, e.id));
    const file = path.join(CORPUS_DIR, e.id, `${e.id}.yaml`);
    fs.writeFileSync(file, `# ${e.description}\n${Yaml.stringify(...e.objects)}`);
    byFile.set(file, e);
  }
  return byFile;
}

const key = (o: { kind: string; name: string }) => `${o.kind}/${o.name}`;
const label = (entry: CorpusEntry, object: string) => `${entry.id}.yaml ${object}`;

// ---------------------------------------------------------------------------------------- schema ---
interface KubeconformResource {
  filename: string;
  kind: string;
  name: string;
  version: string;
  status: string;
  msg?: string;
  validationErrors?: Array<{ path: string; msg: string }>;
}

function kubeconform(bin: string, schemaDir: string, files: string[]): KubeconformResource[] {
  const r = spawnSync(bin, [
    '-strict', '-output', 'json', '-verbose', '-n', '2',
    '-kubernetes-version', PINS.K8S_VERSION,
    '-schema-location', `${schemaDir}/{{ .ResourceKind }}{{ .KindSuffix }}.json`,
    ...files,
  ], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  try {
    return (JSON.parse(r.stdout) as { resources: KubeconformResource[] }).resources ?? [];
  } catch {
    throw new Error(`kubeconform printed no JSON (exit ${r.status}): ${r.stderr || r.stdout}`);
  }
}

function checkSchemas(bin: string, byFile: Map<string, CorpusEntry>): void {
  const swagger = path.join(CACHE, 'k8s-openapi', `v${PINS.K8S_VERSION}`, 'swagger.json');
  if (!fs.existsSync(swagger)) {
    report(false, 'schema', 'all', `${swagger} is missing: run bash validate/install.sh`);
    return;
  }
  const { dir, kinds } = generateSchemas(swagger, path.join(CACHE, 'k8s-schemas'), PINS.K8S_VERSION);
  // The custom resources the library makes (ServiceMonitor, PrometheusRule): their CRDs, kept in imports/crds/.
  const crdDir = path.join(__dirname, '..', 'imports', 'crds');
  const crds = fs.readdirSync(crdDir).filter((f) => f.endsWith('.yaml')).sort()
    .flatMap((f) => YAML.parseAllDocuments(fs.readFileSync(path.join(crdDir, f), 'utf8')).map((d) => d.toJS()));
  const crdKinds = writeCrdSchemas(crds, dir);
  console.log(`# schema: ${kinds} strict kind schemas of Kubernetes ${PINS.K8S_VERSION} and ${crdKinds} of the CRDs in imports/crds/, in ${dir}`);

  // The canary: unknown fields, at the top and deep inside a pod template, must be rejected.
  const canaryDir = path.join(OUT, 'canary');
  fs.mkdirSync(canaryDir, { recursive: true });
  const sts = structuredClone(buildCorpus().entries[0].objects.find((o) => o.kind === 'StatefulSet')!) as any;
  sts.spec.template.spec.containers[0].securityContext.runAsNonroot = true; // a typo of runAsNonRoot
  const canary = path.join(canaryDir, 'unknown-fields.yaml');
  // And in a custom resource's spec: a ServiceMonitor endpoint's `intervall`.
  const monitor = { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: { name: 'canary' },
    spec: { selector: { matchLabels: { a: 'b' } }, endpoints: [{ port: 'metrics', intervall: '30s' }] } };
  fs.writeFileSync(canary, Yaml.stringify(
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'canary', labelz: { a: 'b' } }, data: { a: 'b' } },
    sts,
    monitor,
  ));
  const canaryResults = kubeconform(bin, dir, [canary]);
  const rejected = canaryResults.filter((r) => r.status === 'statusInvalid' && /additional properties|additionalProperties/i.test(JSON.stringify(r)));
  report(rejected.length === 3, 'schema-strictness', 'canary (metadata.labelz, securityContext.runAsNonroot, a ServiceMonitor endpoint\'s intervall)',
    rejected.length === 3 ? 'unknown fields rejected' : `expected 3 rejections, got: ${JSON.stringify(canaryResults.map((r) => [r.kind, r.status, r.msg]))}`);

  const resources = kubeconform(bin, dir, [...byFile.keys()]);
  const seen = new Set<string>();
  for (const r of resources) {
    const entry = byFile.get(r.filename) ?? byFile.get(path.resolve(r.filename));
    const name = entry ? label(entry, key(r)) : `${r.filename} ${key(r)}`;
    seen.add(`${entry?.id} ${key(r)}`);
    const errors = (r.validationErrors ?? []).map((e) => `${e.path}: ${e.msg}`).join('; ') || r.msg;
    report(r.status === 'statusValid', 'schema', name, r.status === 'statusValid' ? undefined : `${r.status}: ${errors}`);
  }
  // Every object must have been validated (none skipped, none lost).
  for (const entry of byFile.values()) {
    for (const o of entry.objects) {
      if (!seen.has(`${entry.id} ${key({ kind: o.kind, name: o.metadata.name })}`)) {
        report(false, 'schema', label(entry, key({ kind: o.kind, name: o.metadata.name })), 'not validated by kubeconform');
      }
    }
  }
}

// ------------------------------------------------------------------------------------ kube-score ---
interface KubeScoreObject {
  object_name: string;
  file_name: string;
  type_meta: { kind: string };
  object_meta: { name: string };
  checks: Array<{
    check: { id: string; name: string };
    grade: number;
    skipped: boolean;
    comments: Array<{ path: string; summary: string; description: string }> | null;
  }>;
}
const GRADE_CRITICAL = 1;

function kubeScore(bin: string, file: string): KubeScoreObject[] {
  const r = spawnSync(bin, [
    'score', '-o', 'json', '--kubernetes-version', 'v1.27', '--disable-ignore-checks-annotations',
    '--enable-optional-test', 'container-seccomp-profile', '--enable-optional-test', 'container-ports-check',
    file,
  ], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  try {
    return JSON.parse(r.stdout);
  } catch {
    report(false, 'kube-score', file, `no JSON output (exit ${r.status}): ${r.stderr}`);
    return [];
  }
}

function checkKubeScore(bin: string, byFile: Map<string, CorpusEntry>, accepted: Accepted[]): void {
  // kube-score scores its input as one cluster and merges objects of the same kind and name: one run per case.
  const objects = [...byFile.keys()].flatMap((file) => kubeScore(bin, file));
  let scored = 0;
  for (const o of objects) {
    const entry = byFile.get(o.file_name) ?? byFile.get(path.resolve(o.file_name));
    const object = key({ kind: o.type_meta.kind, name: o.object_meta.name });
    const failures: string[] = [];
    let acceptedCount = 0;
    let applied = 0;
    for (const c of o.checks) {
      if (c.skipped) continue;
      applied++;
      if (c.grade > GRADE_CRITICAL) continue;
      for (const comment of c.comments?.length ? c.comments : [{ path: '', summary: c.check.name, description: '' }]) {
        const message = `${comment.path ? `(${comment.path}) ` : ''}${comment.summary}`;
        if (acceptedBy(accepted, { tool: 'kube-score', check: c.check.id, entry: entry?.id ?? '', object, message })) {
          acceptedCount++;
        } else {
          failures.push(`${c.check.id}: ${message}`);
        }
      }
    }
    scored++;
    report(failures.length === 0, 'kube-score', entry ? label(entry, object) : `${o.file_name} ${object}`,
      failures.length === 0 ? `${applied} checks, no critical finding${acceptedCount ? ` (${acceptedCount} accepted)` : ''}` : failures.join('; '));
  }
  // kube-score has no check for ConfigMaps, Secrets and custom resources (the Prometheus Operator's ServiceMonitor
  // and PrometheusRule, checked by their CRDs' schemas above) and leaves them out; everything else must be scored.
  const unscored = ['ConfigMap', 'Secret', 'ServiceMonitor', 'PrometheusRule'];
  const total = [...byFile.values()].reduce((n, e) => n + e.objects.filter((o) => !unscored.includes(o.kind)).length, 0);
  if (scored !== total) report(false, 'kube-score', 'all', `scored ${scored} objects of ${total}`);
}

// ----------------------------------------------------------------------------------- kube-linter ---
interface KubeLinterReport {
  Check: string;
  Diagnostic: { Message: string };
  Object: { Metadata: { FilePath: string }; K8sObject: { Name: string; GroupVersionKind: { Kind: string } } };
}

function checkKubeLinter(bin: string, byFile: Map<string, CorpusEntry>, accepted: Accepted[]): void {
  const r = spawnSync(bin, ['lint', '--config', path.join(__dirname, 'kube-linter.yaml'), '--format', 'json', CORPUS_DIR], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  let parsed: { Reports: KubeLinterReport[] | null; Summary: { ChecksStatus: string } };
  try {
    parsed = JSON.parse(r.stdout);
  } catch {
    report(false, 'kube-linter', 'all', `no JSON output (exit ${r.status}): ${r.stderr}`);
    return;
  }
  const byObject = new Map<string, { failures: string[]; accepted: number }>();
  for (const rep of parsed.Reports ?? []) {
    const entry = byFile.get(rep.Object.Metadata.FilePath) ?? byFile.get(path.resolve(rep.Object.Metadata.FilePath));
    const object = key({ kind: rep.Object.K8sObject.GroupVersionKind.Kind, name: rep.Object.K8sObject.Name });
    const id = `${entry?.id ?? rep.Object.Metadata.FilePath} ${object}`;
    const slot = byObject.get(id) ?? { failures: [], accepted: 0 };
    byObject.set(id, slot);
    if (acceptedBy(accepted, { tool: 'kube-linter', check: rep.Check, entry: entry?.id ?? '', object, message: rep.Diagnostic.Message })) {
      slot.accepted++;
    } else {
      slot.failures.push(`${rep.Check}: ${rep.Diagnostic.Message}`);
    }
  }
  for (const entry of byFile.values()) {
    for (const o of entry.objects) {
      const object = key({ kind: o.kind, name: o.metadata.name });
      const slot = byObject.get(`${entry.id} ${object}`);
      byObject.delete(`${entry.id} ${object}`);
      report(!slot || slot.failures.length === 0, 'kube-linter', label(entry, object),
        slot?.failures.length ? slot.failures.join('; ') : `no finding${slot?.accepted ? ` (${slot.accepted} accepted)` : ''}`);
    }
  }
  for (const [id, slot] of byObject) {
    report(slot.failures.length === 0, 'kube-linter', id, slot.failures.join('; ') || 'accepted');
  }
}

// ------------------------------------------------------------------------------------------- main ---
function main(): number {
  const started = Date.now();
  const corpus = buildCorpus();
  const byFile = writeCorpus(corpus.entries);
  console.log(`# corpus: ${corpus.entries.length} cases, ${corpus.objects.length} objects in ${path.relative(ROOT, CORPUS_DIR)}/`);
  const accepted = loadAccepted();

  const kubeconformBin = pinnedTool('kubeconform', PINS.KUBECONFORM_VERSION, 'github.com/yannh/kubeconform');
  const kubeScoreBin = pinnedTool('kube-score', PINS.KUBE_SCORE_VERSION, 'github.com/zegl/kube-score');
  const kubeLinterBin = pinnedTool('kube-linter', PINS.KUBE_LINTER_VERSION);

  if (kubeconformBin) checkSchemas(kubeconformBin, byFile);
  if (kubeScoreBin) checkKubeScore(kubeScoreBin, byFile, accepted);
  if (kubeLinterBin) checkKubeLinter(kubeLinterBin, byFile, accepted);

  // Every accepted finding must still occur (only judged for tools that ran).
  for (const a of accepted) {
    const ran = a.tool === 'kube-score' ? kubeScoreBin : kubeLinterBin;
    if (!ran) continue;
    const scope = [a.entries && `entries ${a.entries.join(',')}`, a.exceptEntries && `except entries ${a.exceptEntries.join(',')}`, a.objects && `objects ${a.objects.join(',')}`].filter(Boolean).join(', ');
    report(a.matched > 0, 'accepted-finding', `${a.tool}/${a.check}${scope ? ` (${scope})` : ''}`,
      a.matched > 0 ? `${a.matched} findings accepted` : 'matches no finding any more: remove it from validate/accepted-findings.yaml');
  }

  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  fs.writeFileSync(path.join(OUT, 'report.json'), JSON.stringify({ pins: PINS, results, accepted }, null, 2));
  console.log(`# validate took ${((Date.now() - started) / 1000).toFixed(1)} s; report in ${path.relative(ROOT, path.join(OUT, 'report.json'))}`);
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

process.exitCode = main();
