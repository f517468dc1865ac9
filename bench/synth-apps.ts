// The two apps the synthesis bench compares: N ArchivingPostgres with mixed providers and versions, and a
// baseline app that writes the same objects (same kinds, same JSON bodies, same order) as plain cdk8s
// ApiObjects. Both are synthesized with app.synth(), so both do the same YAML writing.
import { ApiObject, App, Chart } from 'cdk8s';
import { PersistentVolumeClaim, Volume } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import {
  ArchivingPostgres, AzureCredentials, GcsCredentials, PostgresVersion, S3Credentials, SuperuserPassword, SwiftCredentials, WalProvider,
  WalStorage,
} from '../src';

/** The chart the databases are in (one chart: one YAML file, as a typical app of many databases writes it). */
export const CHART_ID = 'bench';
const NAMESPACE = 'databases';

/** The providers in turn: database i archives to PROVIDER_CYCLE[i % 6]. */
export const PROVIDER_CYCLE: WalProvider[] = [
  WalProvider.S3, WalProvider.MINIO, WalProvider.GCS, WalProvider.AZURE, WalProvider.SWIFT, WalProvider.LOCAL,
];

/**
 * The catalog's versions that support each provider (every version of the catalog takes its turn), found
 * once per process: the bench's own choice of versions is no part of the library's time.
 */
let byProvider: Map<WalProvider, PostgresVersion[]> | undefined;
function versionsByProvider(): Map<WalProvider, PostgresVersion[]> {
  byProvider ??= new Map(PROVIDER_CYCLE.map((p) => [p, PostgresVersion.catalog().filter((v) => v.supports(p))] as const));
  return byProvider;
}

/** Database i's storage: the i-th provider in turn, with the next catalog version that supports it. */
function storage(chart: Construct, i: number): WalStorage {
  const provider = PROVIDER_CYCLE[i % PROVIDER_CYCLE.length];
  const versions = versionsByProvider().get(provider)!;
  // The factories' parameter types encode the support matrix; versionsFor() picked a supporting version.
  const v = versions[Math.floor(i / PROVIDER_CYCLE.length) % versions.length] as any;
  const prefix = `bench/db-${i}`;
  switch (provider) {
    case WalProvider.S3:
      // Every fourth S3 database with keys given in code: a Secret of its own.
      return WalStorage.s3(v, {
        bucket: 'walg-archive',
        prefix,
        region: 'eu-west-1',
        credentials: i % 4 === 0 ? S3Credentials.fromAccessKey('AKIAEXAMPLE', 'example-secret-key') : S3Credentials.fromSecret('s3-walg'),
      });
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
        volume: Volume.fromPersistentVolumeClaim(chart, `archive-${i}`, PersistentVolumeClaim.fromClaimName(chart, `archive-claim-${i}`, 'walg-archive')),
        mountPath: '/var/walg-archive',
        prefix,
      });
    default:
      throw new Error(`unknown provider ${provider}`);
  }
}

/** The library's app: N ArchivingPostgres in one chart, not yet synthesized. */
export function libraryApp(n: number, outdir: string): App {
  const app = new App({ outdir });
  const chart = new Chart(app, CHART_ID, { namespace: NAMESPACE });
  for (let i = 0; i < n; i++) {
    new ArchivingPostgres(chart, `db-${i}`, {
      name: `db-${i}`,
      storage: storage(chart, i),
      // Every fifth database with its password given in code: a Secret of its own.
      superuserPassword: i % 5 === 0 ? SuperuserPassword.fromValue(`example-password-${i}`) : undefined,
    });
  }
  return app;
}

/** The synthesized objects of an app's charts, in order: what the baseline re-creates. */
export interface ChartManifests {
  readonly id: string;
  readonly namespace?: string;
  readonly objects: any[];
}

/** Every chart's objects as JSON (Chart.toJson(): what app.synth() writes as YAML). */
export function manifestsOf(app: App): ChartManifests[] {
  return app.charts.map((c) => ({ id: c.node.id, namespace: c.namespace, objects: c.toJson() }));
}

/** The baseline: the same charts with the same objects as plain ApiObjects, not yet synthesized. */
export function baselineApp(charts: readonly ChartManifests[], outdir: string): App {
  const app = new App({ outdir });
  for (const c of charts) {
    const chart = new Chart(app, c.id, { namespace: c.namespace });
    c.objects.forEach((o, i) => new ApiObject(chart, `o${i}`, o));
  }
  return app;
}
