import { IConstruct } from 'constructs';
import { hasWalgFeature, requireWalgFeature } from './_capabilities';
import { CredentialSpec, checkCredentialSpec, requireValues, secretValue } from './_credential-spec';
import { checkPrefix, location, prefixEnv, SecretKeyRule, StorageBinder, StorageBinding, walgLocation } from './_storage-binding';
import { invalid, requireString } from './_validation';
import { PostgresVersion } from './postgres-version';
import { WalDataPathOptions } from './storage-data-path';
import { WalStorageLocationOptions } from './storage-location';

/** Azure Blob Storage. */
export interface AzureStorageOptions extends WalStorageLocationOptions, WalDataPathOptions {
  /** The blob container name. */
  readonly container: string;
  /** The credentials. */
  readonly credentials: AzureCredentials;
  /**
   * The endpoint suffix (`AZURE_ENDPOINT_SUFFIX`), for sovereign clouds such as
   * "core.chinacloudapi.cn" or an Azure-compatible endpoint. WAL-G 2.0 and later honour it; WAL-G
   * 0.2.20 to 1.x only know the named clouds (`AZURE_ENVIRONMENT_NAME`), which is also set for the
   * suffixes of the China, US Government and German clouds; older WAL-G (every KubeDB catalog version) only the
   * public cloud. A suffix the version's WAL-G cannot reach is refused at synth time.
   *
   * @default "core.windows.net"
   * @see https://wal-g.readthedocs.io/STORAGES/#azure
   */
  readonly endpointSuffix?: string;
}

/**
 * Credentials for Azure Blob Storage.
 *
 * The pod reads each value of the Secret as the file's content without the line ends at its end (`\n`,
 * `\r\n`, as `kubectl create secret --from-file` or an editor leaves them); a value of more than one line
 * stops the pod with an error that names the key and never shows the value (a value given in code is
 * refused at synth time).
 *
 * @see https://wal-g.readthedocs.io/STORAGES/#azure
 */
export class AzureCredentials {
  /**
   * An existing Secret (the recommended way) with KubeDB's keys: `AZURE_ACCOUNT_NAME` and
   * `AZURE_ACCOUNT_KEY` (or, instead of the key, `AZURE_STORAGE_SAS_TOKEN`).
   *
   * @see https://kubernetes.io/docs/concepts/configuration/secret/
   */
  public static fromSecret(secretName: string): AzureCredentials {
    return new AzureCredentials({ kind: 'AzureCredentials.fromSecret', secretName });
  }

  /**
   * A storage account name and access key given in code; the key goes into a Secret the
   * construct creates.
   */
  public static fromAccountKey(accountName: string, accountKey: string): AzureCredentials {
    requireValues('AzureCredentials.fromAccountKey()', { accountName, accountKey });
    checkAccountName('AzureCredentials.fromAccountKey()', accountName);
    return new AzureCredentials({
      kind: 'AzureCredentials.fromAccountKey',
      secretData: { AZURE_ACCOUNT_NAME: accountName, AZURE_ACCOUNT_KEY: secretValue('AzureCredentials.fromAccountKey()', 'accountKey', accountKey) },
    });
  }

  /**
   * No key: the pod runs as this Kubernetes ServiceAccount and carries the label
   * `azure.workload.identity/use: "true"`, so that the Microsoft Entra Workload ID webhook gives it a
   * federated token and the `AZURE_CLIENT_ID`, `AZURE_TENANT_ID`, `AZURE_FEDERATED_TOKEN_FILE` and
   * `AZURE_AUTHORITY_HOST` settings; WAL-G, finding neither key nor SAS token, uses the Azure SDK's default
   * credential chain, which exchanges the token for the managed identity's. The ServiceAccount is yours to
   * create, annotated with `azure.workload.identity/client-id` (the managed identity's client ID), and
   * the identity needs the "Storage Blob Data Contributor" role on the container (a restore source needs
   * "Storage Blob Data Reader"). The storage account name is not secret: it goes into the ConfigMap.
   *
   * WAL-G reads a workload identity from 3.0.8 on (earlier releases' default chain has no workload
   * identity): with an older version (every KubeDB catalog version) it is refused at synth time.
   *
   * @param serviceAccountName the ServiceAccount federated with the managed identity (a DNS subdomain)
   * @param accountName the storage account: 3 to 24 lower-case letters and digits
   * @see https://azure.github.io/azure-workload-identity/docs/
   * @see https://learn.microsoft.com/en-us/azure/aks/workload-identity-overview
   */
  public static fromWorkloadIdentity(serviceAccountName: string, accountName: string): AzureCredentials {
    const factory = 'AzureCredentials.fromWorkloadIdentity()';
    requireValues(factory, { serviceAccountName, accountName });
    checkAccountName(factory, accountName);
    return new AzureCredentials({
      kind: 'AzureCredentials.fromWorkloadIdentity',
      serviceAccountName,
      env: { AZURE_STORAGE_ACCOUNT: accountName },
      podLabels: { [AZURE_WORKLOAD_IDENTITY_LABEL]: 'true' },
    });
  }

  /** @internal */
  public readonly _spec: CredentialSpec;

  private constructor(spec: CredentialSpec) {
    this._spec = spec;
  }
}

/** The pod label that the Microsoft Entra Workload ID webhook selects pods by. */
const AZURE_WORKLOAD_IDENTITY_LABEL = 'azure.workload.identity/use';

function checkAccountName(factory: string, accountName: string): void {
  if (!/^[a-z0-9]{3,24}$/.test(accountName)) {
    invalid(factory, 'accountName', accountName, 'expected an Azure storage account name: 3 to 24 lower-case letters and digits');
  }
}

/** @internal How WalStorage.azure() binds its options. */
export function azureBinder(options: AzureStorageOptions): StorageBinder {
  return {
    location: () => location('azure', options.container, options.prefix),
    bind: (scope, prop, version) => bindAzure(scope, prop, version, options),
  };
}

/** The named clouds older WAL-G understands (AZURE_ENVIRONMENT_NAME), by endpoint suffix. */
const AZURE_CLOUDS: Record<string, string> = {
  'core.windows.net': 'AzurePublicCloud',
  'core.chinacloudapi.cn': 'AzureChinaCloud',
  'core.usgovcloudapi.net': 'AzureUSGovernmentCloud',
  'core.cloudapi.de': 'AzureGermanCloud',
};

/** KubeDB's Secret keys for Azure, and the names WAL-G reads (the storage account, its key or a SAS token). */
const AZURE_SECRET_KEYS: SecretKeyRule[] = [
  { key: 'AZURE_ACCOUNT_NAME', env: 'AZURE_STORAGE_ACCOUNT' },
  { key: 'AZURE_ACCOUNT_KEY', env: 'AZURE_STORAGE_ACCESS_KEY' },
  { key: 'AZURE_*' },
];

function bindAzure(scope: IConstruct, prop: string, version: PostgresVersion, o: AzureStorageOptions): StorageBinding {
  const containerExpected = 'expected an Azure container name: 3 to 63 lower-case letters, digits and single "-", starting and ending with a letter or digit';
  const container = requireString(scope, `${prop}.container`, o.container, containerExpected);
  if (!/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/.test(container)) {
    invalid(scope, `${prop}.container`, o.container, containerExpected);
  }
  const prefix = checkPrefix(scope, prop, o.prefix, 'url');
  const loc = location('azure', container, prefix);
  const env: Record<string, string> = { [prefixEnv(version, 'AZ')]: loc };
  if (o.endpointSuffix !== undefined) {
    const suffix = requireString(scope, `${prop}.endpointSuffix`, o.endpointSuffix);
    if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[0-9]{1,5})?$/.test(suffix)) {
      invalid(scope, `${prop}.endpointSuffix`, o.endpointSuffix, 'expected a DNS suffix such as "core.windows.net"');
    }
    const cloud = AZURE_CLOUDS[suffix];
    // WAL-G before 2.0 reaches only the named clouds (AZURE_ENVIRONMENT_NAME), and before that only the public one.
    if (suffix !== 'core.windows.net' && !hasWalgFeature(version, 'azureEndpointSuffix')) {
      // Leaving the suffix out would point the pod at the public cloud: no "instead" ('').
      requireWalgFeature(scope, `${prop}.endpointSuffix`, suffix, version, cloud ? 'azureEnvironmentName' : 'azureEndpointSuffix', '');
    }
    env.AZURE_ENDPOINT_SUFFIX = suffix;
    if (cloud) {
      env.AZURE_ENVIRONMENT_NAME = cloud;
    }
  }
  const credentials = checkCredentialSpec(scope, `${prop}.credentials`, o.credentials, 'AzureCredentials.fromSecret(), .fromAccountKey() or .fromWorkloadIdentity()');
  if (!credentials.kind.startsWith('AzureCredentials.')) {
    invalid(scope, `${prop}.credentials`, credentials.kind, 'expected AzureCredentials');
  }
  if (credentials.serviceAccountName) {
    requireWalgFeature(scope, `${prop}.credentials`, credentials.kind, version, 'azureWorkloadIdentity', 'Use AzureCredentials.fromSecret() or .fromAccountKey()');
  }
  Object.assign(env, credentials.env);
  // Without a suffix, WAL-G reaches the public cloud: the same location as its suffix given explicitly.
  const accountName = credentials.secretData?.AZURE_ACCOUNT_NAME ?? credentials.env?.AZURE_STORAGE_ACCOUNT ?? credentials.secretName;
  const account = `${env.AZURE_ENDPOINT_SUFFIX ?? 'core.windows.net'} ${accountName}`;
  return { env, credentials, identity: `azure ${account} ${walgLocation('azure', container, prefix)}`, secretKeys: AZURE_SECRET_KEYS };
}
