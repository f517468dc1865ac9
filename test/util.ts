import { Chart, Testing } from 'cdk8s';
import { ServiceType, Volume } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import {
  AzureCredentials, ExternalTrafficPolicy, GcsCredentials, PostgresInstanceOptions, PostgresVersion, S3Credentials, SwiftCredentials, WalProvider,
  WalStorage,
} from '../src';
import { PROVIDERS } from '../src/_catalog';

/** Every provider of the catalog's matrix (a new one makes storageFor() below fail to compile until it has a case). */
export const PROVIDER_LIST: WalProvider[] = PROVIDERS.map((p) => p as WalProvider);

/** A valid WalStorage of each provider, for a version that supports it. */
export function storageFor(chart: Construct, provider: WalProvider, version: PostgresVersion, prefix = 'prod/orders'): WalStorage {
  const v = version as any;
  switch (provider) {
    case WalProvider.S3:
      return WalStorage.s3(v, { bucket: 'walg-archive', prefix, region: 'eu-west-1', credentials: S3Credentials.fromSecret('s3-walg') });
    case WalProvider.MINIO:
      return WalStorage.minio(v, { bucket: 'walg', prefix, endpoint: 'https://minio.storage.svc:9000', credentials: S3Credentials.fromSecret('minio-walg') });
    case WalProvider.GCS:
      return WalStorage.gcs(v, { bucket: 'walg-archive', prefix, credentials: GcsCredentials.fromSecret('gcs-walg') });
    case WalProvider.AZURE:
      return WalStorage.azure(v, { container: 'walg', prefix, credentials: AzureCredentials.fromSecret('azure-walg') });
    case WalProvider.SWIFT:
      return WalStorage.swift(v, { container: 'walg', prefix, credentials: SwiftCredentials.fromSecret('swift-walg') });
    case WalProvider.LOCAL:
      return WalStorage.local(v, {
        volume: Volume.fromPersistentVolumeClaim(chart, `archive-claim-${prefix.replace(/\W/g, '-')}`, { name: 'walg-archive' } as any),
        mountPath: '/var/walg-archive',
        prefix,
      });
    default:
      return unknownProvider(provider);
  }
}

function unknownProvider(provider: never): never {
  throw new Error(`unknown provider ${provider}`);
}

export function newChart(): Chart {
  return new Chart(Testing.app(), 'test', { namespace: 'db', disableResourceNameHashes: true });
}

export type Obj = {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [k: string]: any;
};

export function synth(chart: Chart): Obj[] {
  return Testing.synth(chart) as Obj[];
}

export function find(objs: Obj[], kind: string, name?: string): Obj {
  const o = objs.find((x) => x.kind === kind && (name === undefined || x.metadata.name === name));
  if (!o) throw new Error(`no ${kind} ${name ?? ''} in ${objs.map((x) => `${x.kind}/${x.metadata.name}`).join(', ')}`);
  return o;
}

export function container(objs: Obj[], name: string, containerName = 'postgres'): any {
  const sts = find(objs, 'StatefulSet', name);
  const c = sts.spec.template.spec.containers.find((x: any) => x.name === containerName);
  if (!c) throw new Error(`no container ${containerName}`);
  return c;
}

export function envOf(c: any): Record<string, string> {
  return Object.fromEntries((c.env ?? []).map((e: any) => [e.name, e.value]));
}

/** Parses a KEY=VALUE env file from the ConfigMap. */
export function parseEnvFile(text: string): Record<string, string> {
  return Object.fromEntries(text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

/**
 * The objects for a snapshot, with the embedded scripts replaced by a placeholder: their content is
 * asserted verbatim against src/scripts by targeted tests, so the snapshots show the manifests.
 */
export function forSnapshot(objs: Obj[]): Obj[] {
  const mask = (data: Record<string, string>) => Object.fromEntries(Object.entries(data).map(([k, v]) => [k, k.endsWith('.sh') ? `<src/scripts/${k}>` : v]));
  return objs.map((o) => (o.kind === 'ConfigMap' ? { ...o, data: mask(o.data) } : o));
}

/**
 * A script of a pod's ConfigMap as the library ships it: lib.sh's Secret-key arms (rendered per pod from
 * its storages' rules at the "# @secret-keys:" marker) are removed, after checking that they are only
 * case arms of constant key names, so that the rest compares with src/scripts verbatim.
 */
export function shippedScript(text: string): string {
  const lines = text.split('\n');
  const marker = lines.findIndex((l) => /^\s*# @secret-keys:/.test(l));
  if (marker < 0) return text;
  let start = marker + 1;
  while (/^\s*#/.test(lines[start])) start++;
  let end = start;
  while (!/^\s*\*\) ;;/.test(lines[end])) end++;
  const arm = /^\s*(?:[A-Z][A-Z0-9_]*\) (?:export "[A-Z][A-Z0-9_]*=\$_file"|export_secret [A-Z][A-Z0-9_]* "\$_file" "\$_role") ;;|[A-Z][A-Z0-9_]*\*?(?: \| [A-Z][A-Z0-9_]*\*?)*\)|if is_env_name "\$_key"; then|export_secret "\$_key" "\$_file" "\$_role"|fi|;;)$/;
  for (const l of lines.slice(start, end)) {
    if (!arm.test(l)) throw new Error(`not a Secret-key arm of the library: ${JSON.stringify(l)}`);
  }
  return [...lines.slice(0, start), ...lines.slice(end)].join('\n');
}

/**
 * Every pod option, set to valid values that a production cluster might use: the "every pod option"
 * cases of both constructs (snapshots and targeted tests) and of the validation corpus.
 */
export function everyPodOption(): PostgresInstanceOptions {
  const databases = { matchLabels: { 'example.com/tier': 'database' } };
  return {
    labels: { 'example.com/tier': 'database' },
    nodeSelector: { 'kubernetes.io/os': 'linux', 'node.example.com/pool': 'databases' },
    tolerations: [
      { key: 'dedicated', operator: 'Equal', value: 'databases', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ],
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64', 'arm64'] }] }],
        },
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 50, preference: { matchExpressions: [{ key: 'node.example.com/disk', operator: 'In', values: ['nvme'] }] } },
        ],
      },
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: databases } },
        ],
      },
    },
    topologySpreadConstraints: [
      { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: databases },
    ],
    priorityClassName: 'database-critical',
    podAnnotations: { 'prometheus.io/scrape': 'false', 'example.com/owner': 'team-data' },
    serviceAnnotations: { 'service.beta.kubernetes.io/aws-load-balancer-internal': 'true' },
    serviceType: ServiceType.LOAD_BALANCER,
    loadBalancerSourceRanges: ['10.0.0.0/8', '2001:db8::/32'],
    externalTrafficPolicy: ExternalTrafficPolicy.LOCAL,
    imagePullSecrets: ['registry-credentials', 'mirror.credentials'],
  };
}
