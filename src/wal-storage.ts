import { IConstruct } from 'constructs';
import { PROVIDER_TITLES, ProviderId, versionsSupporting } from './_catalog';
import { bindDataPath } from './_data-path';
import { checkKnownProps, STORAGE_PROPS } from './_known-props';
import { StorageBinder, StorageBinding } from './_storage-binding';
import { show } from './_validation';
import { IAllStoragePostgresVersion, IAzureSwiftPostgresVersion, IPostgresVersion, PostgresVersion, WalProvider } from './postgres-version';
import { AzureStorageOptions, azureBinder } from './storage-azure';
import { WalDataPathOptions } from './storage-data-path';
import { GcsStorageOptions, gcsBinder } from './storage-gcs';
import { LocalStorageOptions, localBinder } from './storage-local';
import { MinioStorageOptions, S3StorageOptions, s3Binder } from './storage-s3';
import { SwiftStorageOptions, swiftBinder } from './storage-swift';

// Each provider's file holds its options, its credentials and its binder; they are public through here,
// so that a new provider is its file, a factory below, and its line in the catalog's matrix.
export * from './storage-location';
export * from './storage-data-path';
export * from './wal-compression';
export * from './wal-encryption';
export * from './storage-s3';
export * from './storage-gcs';
export * from './storage-azure';
export * from './storage-swift';
export * from './storage-local';

/**
 * Where WAL-G archives WAL and base backups, and where a restore reads them: a provider, its
 * location and credentials, and the PostgresVersion whose WAL-G uses it.
 *
 * The version travels with the storage, so that the compiler can check the pair: each factory takes
 * the narrowest version type whose WAL-G supports its provider.
 *
 * @see https://wal-g.readthedocs.io/STORAGES/
 */
export class WalStorage {
  /** Amazon S3 (any version), or an S3-compatible endpoint given as `endpoint`. */
  public static s3(version: IPostgresVersion, options: S3StorageOptions): WalStorage {
    return new WalStorage('s3', WalProvider.S3, version, options, s3Binder(options, false));
  }

  /** MinIO or any S3-compatible endpoint, with path-style addressing and an optional custom CA. */
  public static minio(version: IAllStoragePostgresVersion, options: MinioStorageOptions): WalStorage {
    return new WalStorage('minio', WalProvider.MINIO, version, options, s3Binder(options, true));
  }

  /** Google Cloud Storage (any version). */
  public static gcs(version: IPostgresVersion, options: GcsStorageOptions): WalStorage {
    return new WalStorage('gcs', WalProvider.GCS, version, options, gcsBinder(options));
  }

  /** Azure Blob Storage. */
  public static azure(version: IAzureSwiftPostgresVersion, options: AzureStorageOptions): WalStorage {
    return new WalStorage('azure', WalProvider.AZURE, version, options, azureBinder(options));
  }

  /** OpenStack Object Storage (Swift). */
  public static swift(version: IAzureSwiftPostgresVersion, options: SwiftStorageOptions): WalStorage {
    return new WalStorage('swift', WalProvider.SWIFT, version, options, swiftBinder(options));
  }

  /** A volume mounted into the pod. */
  public static local(version: IAllStoragePostgresVersion, options: LocalStorageOptions): WalStorage {
    return new WalStorage('local', WalProvider.LOCAL, version, options, localBinder(options));
  }

  /** The provider. */
  public readonly provider: WalProvider;
  /** The PostgresVersion whose images archive to (or restore from) this storage. */
  public readonly version: PostgresVersion;
  private readonly binder: StorageBinder;
  private readonly dataPath: WalDataPathOptions;

  private constructor(factory: string, provider: WalProvider, version: IPostgresVersion, options: unknown, binder: StorageBinder) {
    const checked = checkPair(factory, provider, version);
    if (options === null || typeof options !== 'object') {
      throw new Error(`Invalid options ${show(options)} in WalStorage.${factory}(): expected an object with the ${PROVIDER_TITLES[provider as ProviderId]} settings.`);
    }
    checkKnownProps(`WalStorage.${factory}()`, `the ${PROVIDER_TITLES[provider as ProviderId]} storage options`, options, STORAGE_PROPS[factory as keyof typeof STORAGE_PROPS]);
    this.provider = provider;
    this.version = checked;
    this.binder = binder;
    this.dataPath = options as WalDataPathOptions;
  }

  /**
   * The WAL-G storage prefix, e.g. "s3://bucket/prod/orders", "/var/walg-archive/prod/orders" for Local.
   */
  public get location(): string {
    return this.binder.location();
  }

  /**
   * @internal Validates the options and renders them for a pod; errors name the construct and the
   * property (`prop`, e.g. "storage" or "source").
   */
  public _bind(scope: IConstruct, prop: string): StorageBinding {
    const binding = this.binder.bind(scope, prop, this.version);
    const data = bindDataPath(scope, prop, this.version, this.dataPath);
    return { ...binding, env: { ...binding.env, ...data.env }, encryption: data.encryption };
  }
}

/** The runtime half of the support matrix, for callers without a type checker. */
function checkPair(factory: string, provider: WalProvider, version: unknown): PostgresVersion {
  const title = PROVIDER_TITLES[provider as ProviderId];
  if (!(version instanceof PostgresVersion)) {
    // The factories take interfaces (so that jsii lets untyped calls reach this check); only the
    // library's own PostgresVersion objects carry a checked tier.
    const name = (version as { name?: unknown } | null)?.name;
    const what = typeof version === 'object' && version !== null && typeof name === 'string'
      ? `${JSON.stringify(name)} (an object that is not a PostgresVersion)`
      : show(version);
    throw new Error(
      `Invalid version ${what} in WalStorage.${factory}(): expected a PostgresVersion such as PostgresVersion.V11_2_V1, ` +
      'or PostgresVersion.custom() for an image outside the catalog.',
    );
  }
  if (!version.supports(provider)) {
    const able = versionsSupporting(provider as ProviderId);
    throw new Error(
      `Unsupported pair in WalStorage.${factory}(): PostgresVersion ${version.name} cannot archive to or restore from ${title} ` +
      `(its WAL-G supports ${version.providers.map((p) => PROVIDER_TITLES[p as ProviderId]).join(', ')}). ` +
      `Versions that support ${title}: ${able.join(', ')}.`,
    );
  }
  return version;
}
