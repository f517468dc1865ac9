// Pod security and secret material, checked on every object of the validation corpus
// (validate/corpus.ts: both constructs × six providers × the main options).
//
// Pod Security Standard "restricted" (Kubernetes 1.27), per pod template:
//   runAsNonRoot with the image's postgres uid, allowPrivilegeEscalation false, capabilities drop ALL,
//   seccompProfile RuntimeDefault, no privileged container, no host namespaces or ports, and only the
//   volume types "restricted" allows. Two kinds of Local volume fall outside it, by the user's choice:
//   a hostPath (the pod then needs a "privileged" namespace) and NFS ("baseline"); the corpus marks the
//   cases that ask for one, and only those may have one. Plus what this library promises on top:
//   no service account token, requests and limits on every container, read-only credential and
//   config mounts with tight file modes, a read-only root filesystem.
//
// Secret material: the literal secrets the corpus gives in code appear in Secrets only, nowhere else
// (not in a ConfigMap, an env value, an annotation or a label, not even base64-encoded); and no
// credential key name is used as an env var name, an env value, a ConfigMap key, a key of a
// ConfigMap's env file, a label or an annotation. (Key names do appear in the embedded scripts,
// which read the mounted Secret files by name.)
import { buildCorpus, Corpus, CorpusEntry, KubeObject, podTemplates } from '../validate/corpus';

const corpus: Corpus = buildCorpus();
/**
 * The postgres user of a pod's database image: 999 in the official Debian images (the modern versions,
 * also from a mirror's library/postgres), 70 in KubeDB's Alpine images and the corpus' custom version.
 */
function postgresUid(spec: any): number {
  const image: string = spec.containers.find((c: any) => ['postgres', 'restore-drill'].includes(c.name)).image;
  return /^(postgres|[a-z0-9.-]+\/library\/postgres):\d+\.\d+-trixie$/.test(image) ? 999 : 70;
}

/** Volume sources that "restricted" allows. */
const RESTRICTED_VOLUMES = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];

interface Pod { readonly entry: CorpusEntry; readonly object: KubeObject; readonly spec: any; readonly label: string }
const pods: Pod[] = corpus.entries.flatMap((entry) => podTemplates(entry).map(({ object, spec }) => ({ entry, object, spec, label: `${entry.id} ${object.kind}/${object.metadata.name}` })));
const containers = pods.flatMap((p) => [...(p.spec.initContainers ?? []), ...p.spec.containers].map((c: any) => ({ ...p, container: c, label: `${p.label} container ${c.name}` })));
const restrictedPods = pods.filter((p) => p.entry.podSecurityLevel === 'restricted');

/** Whether a file mode grants nothing beyond `max` (e.g. 0o400 is within 0o440; undefined is not: Kubernetes' default is 0644). */
function within(mode: number | undefined, max: number): boolean {
  // eslint-disable-next-line no-bitwise
  return typeof mode === 'number' && (mode & ~max) === 0;
}

const byLabel = <T extends { label: string }>(xs: T[]) => xs.map((x) => [x.label, x] as const);

test('the corpus covers both constructs, the six providers and every pod security level', () => {
  expect(corpus.entries.length).toBeGreaterThanOrEqual(30);
  expect(new Set(corpus.entries.flatMap((e) => e.constructs))).toEqual(new Set(['ArchivingPostgres', 'WalRestoredPostgres']));
  expect(new Set(corpus.entries.flatMap((e) => e.providers))).toEqual(new Set(['s3', 'minio', 'gcs', 'azure', 'swift', 'local']));
  expect(new Set(corpus.entries.map((e) => e.podSecurityLevel))).toEqual(new Set(['restricted', 'baseline', 'privileged']));
  expect(pods.length).toBeGreaterThanOrEqual(corpus.entries.length);
  expect(restrictedPods.length).toBeGreaterThan(pods.length - 5);
});

describe('Pod Security Standard "restricted"', () => {
  test.each(byLabel(pods))('%s: pod runs as non-root with the postgres uid and RuntimeDefault seccomp', (_l, p) => {
    const sc = p.spec.securityContext ?? {};
    expect(sc.runAsNonRoot).toBe(true);
    expect(sc.runAsUser).toBe(postgresUid(p.spec));
    expect(sc.runAsGroup).toBe(postgresUid(p.spec));
    expect(sc.fsGroup).toBe(postgresUid(p.spec));
    expect(sc.seccompProfile).toEqual({ type: 'RuntimeDefault' });
    expect(sc.sysctls ?? []).toEqual([]);
    expect(sc.seLinuxOptions).toBeUndefined();
    expect(sc.windowsOptions).toBeUndefined();
  });

  test.each(byLabel(pods))('%s: no host namespaces, no host ports, no service account token', (_l, p) => {
    expect(p.spec.hostNetwork ?? false).toBe(false);
    expect(p.spec.hostPID ?? false).toBe(false);
    expect(p.spec.hostIPC ?? false).toBe(false);
    expect(p.spec.automountServiceAccountToken).toBe(false);
    const hostPorts = p.spec.containers.flatMap((c: any) => (c.ports ?? []).filter((port: any) => port.hostPort !== undefined));
    expect(hostPorts).toEqual([]);
  });

  test.each(byLabel(containers))('%s: no privilege, drop ALL, no escalation, read-only root', (_l, c) => {
    const sc = c.container.securityContext ?? {};
    expect(sc.privileged ?? false).toBe(false);
    expect(sc.allowPrivilegeEscalation).toBe(false);
    expect(sc.capabilities?.drop).toEqual(['ALL']);
    expect(sc.capabilities?.add ?? []).toEqual([]);
    expect(sc.runAsNonRoot ?? c.spec.securityContext.runAsNonRoot).toBe(true);
    expect(sc.runAsUser ?? c.spec.securityContext.runAsUser).toBe(postgresUid(c.spec));
    expect(sc.seccompProfile ?? c.spec.securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
    expect(sc.procMount ?? 'Default').toBe('Default');
    expect(sc.readOnlyRootFilesystem).toBe(true);
  });

  test.each(byLabel(pods))('%s: only the volume types the case\'s security level allows', (_l, p) => {
    const sources = (p.spec.volumes ?? []).map((v: any) => Object.keys(v).filter((k) => k !== 'name'));
    for (const s of sources) expect(s).toHaveLength(1);
    const outside = sources.flat().filter((s: string) => !RESTRICTED_VOLUMES.includes(s));
    // Only a case that asks for a hostPath (privileged) or an NFS (baseline) Local volume has one, once.
    const expected = [...(p.entry.hostPath ? ['hostPath'] : []), ...(p.entry.nfs ? ['nfs'] : [])];
    expect(outside.sort()).toEqual(expected.sort());
  });

  test('only the hostPath cases have a hostPath anywhere in the corpus', () => {
    const withHostPath = corpus.entries.filter((e) => JSON.stringify(e.objects).includes('"hostPath"')).map((e) => e.id);
    expect(withHostPath).toEqual(corpus.entries.filter((e) => e.hostPath).map((e) => e.id));
    expect(withHostPath.length).toBeGreaterThan(0);
  });
});

describe('resources and mounts', () => {
  test.each(byLabel(containers))('%s: requests and limits for cpu, memory and ephemeral storage', (_l, c) => {
    const r = c.container.resources ?? {};
    for (const kind of ['requests', 'limits']) {
      for (const res of ['cpu', 'memory', 'ephemeral-storage']) {
        expect([kind, res, typeof r[kind]?.[res]]).toEqual([kind, res, 'string']);
      }
    }
  });

  test.each(byLabel(containers))('%s: no secret through env (valueFrom or envFrom)', (_l, c) => {
    expect((c.container.env ?? []).filter((e: any) => e.valueFrom !== undefined)).toEqual([]);
    expect(c.container.envFrom ?? []).toEqual([]);
  });

  test.each(byLabel(pods))('%s: Secret volumes are 0440 or tighter and mounted read-only; ConfigMaps read-only', (_l, p) => {
    const volumes: any[] = p.spec.volumes ?? [];
    const secretVolumes = volumes.filter((v) => v.secret);
    const configVolumes = volumes.filter((v) => v.configMap);
    if (p.object.kind === 'CronJob') {
      // The restore drill: no password (its server trusts its own socket and listens on nothing else).
      expect(volumes.filter((v) => v.name === 'auth' || v.name === 'replication')).toEqual([]);
    } else {
      expect(secretVolumes.length).toBeGreaterThanOrEqual(1); // the superuser password at least
    }
    for (const v of secretVolumes) {
      expect([v.name, within(v.secret.defaultMode, 0o440)]).toEqual([v.name, true]);
      for (const item of v.secret.items ?? []) expect([v.name, item.key, within(item.mode ?? 0, 0o440)]).toEqual([v.name, item.key, true]);
    }
    for (const v of configVolumes) {
      expect([v.name, within(v.configMap.defaultMode, 0o444)]).toEqual([v.name, true]);
    }
    const readOnlyNames = new Set([...secretVolumes, ...configVolumes].map((v) => v.name));
    for (const c of p.spec.containers) {
      for (const m of c.volumeMounts ?? []) {
        if (readOnlyNames.has(m.name)) expect([c.name, m.name, m.readOnly]).toEqual([c.name, m.name, true]);
      }
    }
  });
});

// ------------------------------------------------------------------------------- secret material ---

/** Every place outside Secrets where a secret value or key name must not be: [where, text]. */
function exposedStrings(objects: KubeObject[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const o of objects) {
    const where = `${o.kind}/${o.metadata.name}`;
    for (const [k, v] of Object.entries({ ...o.metadata.labels, ...o.metadata.annotations })) {
      out.push([`${where} label/annotation`, k], [`${where} label/annotation ${k}`, String(v)]);
    }
    if (o.kind === 'ConfigMap') {
      for (const [k, v] of Object.entries((o.data ?? {}) as Record<string, string>)) {
        out.push([`${where} data key`, k]);
        if (k.endsWith('.env')) {
          for (const line of v.split('\n').filter((l) => l.includes('='))) {
            out.push([`${where} ${k} key`, line.slice(0, line.indexOf('='))], [`${where} ${k} value`, line.slice(line.indexOf('=') + 1)]);
          }
        }
      }
    }
    const spec = o.spec?.template?.spec ?? (o.kind === 'Pod' ? o.spec : undefined);
    for (const c of [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])]) {
      for (const e of c.env ?? []) {
        out.push([`${where} container ${c.name} env name`, e.name], [`${where} container ${c.name} env ${e.name}`, String(e.value ?? '')]);
      }
      for (const a of [...(c.command ?? []), ...(c.args ?? [])]) out.push([`${where} container ${c.name} command`, a]);
    }
    for (const [k, v] of Object.entries(o.spec?.template?.metadata?.labels ?? {})) {
      out.push([`${where} pod label`, k], [`${where} pod label ${k}`, String(v)]);
    }
    for (const [k, v] of Object.entries(o.spec?.template?.metadata?.annotations ?? {})) {
      out.push([`${where} pod annotation`, k], [`${where} pod annotation ${k}`, String(v)]);
    }
  }
  return out;
}

/** Leaks of secret values (anywhere outside Secrets) and of key names (in the exposed places). */
function leaks(objects: KubeObject[], values: string[], keys: string[]): string[] {
  const found: string[] = [];
  for (const o of objects.filter((x) => x.kind !== 'Secret')) {
    const text = JSON.stringify(o);
    for (const v of values) {
      for (const form of [v, JSON.stringify(v).slice(1, -1), Buffer.from(v).toString('base64')]) {
        if (text.includes(form)) found.push(`${o.kind}/${o.metadata.name} holds the secret value ${JSON.stringify(v.slice(0, 12))}…`);
      }
    }
  }
  for (const [where, s] of exposedStrings(objects.filter((x) => x.kind !== 'Secret'))) {
    for (const k of keys) {
      if (s === k || s.split(/[^A-Z0-9_]/).includes(k)) found.push(`${where} names the credential key ${k}`);
    }
  }
  return [...new Set(found)];
}

describe('secret material', () => {
  const secrets = corpus.objects.filter((o) => o.kind === 'Secret');
  const secretText = JSON.stringify(secrets);

  test('the scan is meaningful: every literal secret and every by-value key is in some Secret of the corpus', () => {
    for (const v of corpus.secretValues) expect([v, secretText.includes(JSON.stringify(v).slice(1, -1))]).toEqual([v, true]);
    const keys = new Set(secrets.flatMap((s) => Object.keys({ ...s.stringData, ...s.data })));
    for (const k of ['AWS_SECRET_ACCESS_KEY', 'AZURE_ACCOUNT_KEY', 'OS_PASSWORD', 'ST_KEY', 'GOOGLE_SERVICE_ACCOUNT_JSON_KEY', 'POSTGRES_PASSWORD']) {
      expect([k, keys.has(k)]).toEqual([k, true]);
      expect(corpus.secretKeys).toContain(k);
    }
  });

  test('the scan finds a planted leak in each kind of place', () => {
    const cm = corpus.objects.find((o) => o.kind === 'ConfigMap')!;
    const sts = corpus.objects.find((o) => o.kind === 'StatefulSet')!;
    const v = corpus.secretValues[0];
    const plant = (o: KubeObject, f: (x: any) => void) => {
      const copy = structuredClone(o);
      f(copy);
      return leaks([copy], [v], corpus.secretKeys).length;
    };
    expect(plant(cm, (x) => { x.data['archive.env'] += 'AWS_SECRET_ACCESS_KEY=x\n'; })).toBeGreaterThan(0);
    expect(plant(cm, (x) => { x.data.AZURE_ACCOUNT_KEY = 'x'; })).toBeGreaterThan(0);
    expect(plant(cm, (x) => { x.data['postgresql.conf'] += `# ${Buffer.from(v).toString('base64')}\n`; })).toBeGreaterThan(0);
    expect(plant(sts, (x) => { x.spec.template.spec.containers[0].env.push({ name: 'OS_PASSWORD', value: 'x' }); })).toBeGreaterThan(0);
    expect(plant(sts, (x) => { x.spec.template.spec.containers[0].env.push({ name: 'X', value: v }); })).toBeGreaterThan(0);
    expect(plant(sts, (x) => { x.metadata.annotations = { note: v }; })).toBeGreaterThan(0);
    expect(plant(sts, (x) => { x.spec.template.metadata.labels.ST_KEY = 'x'; })).toBeGreaterThan(0);
    expect(plant(sts, () => undefined)).toBe(0);
  });

  test.each(corpus.entries.map((e) => [e.id, e] as const))('%s: no secret value outside Secrets, no credential key name in env, ConfigMaps, labels or annotations', (_id, e) => {
    expect(leaks(e.objects, corpus.secretValues, corpus.secretKeys)).toEqual([]);
  });

  test.each(corpus.entries.map((e) => [e.id, e] as const))('%s: Secrets created from values are Opaque, labelled, and reach the pod only as files', (_id, e) => {
    for (const s of e.objects.filter((o) => o.kind === 'Secret')) {
      expect(s.type).toBe('Opaque');
      expect(s.metadata.annotations).toBeUndefined();
      const mounted = podTemplates(e).some((p) => (p.spec.volumes ?? []).some((v: any) => v.secret?.secretName === s.metadata.name));
      expect([s.metadata.name, mounted]).toEqual([s.metadata.name, true]);
    }
  });
});
