import { CredentialSpec, requireValues } from './_credential-spec';
import { checkSingleLine, invalid } from './_validation';

/**
 * Credentials for S3 and S3-compatible storage (MinIO, Ceph RGW, …).
 *
 * @see https://wal-g.readthedocs.io/STORAGES/#s3
 */
export class S3Credentials {
  /**
   * An existing Secret (the recommended way) with KubeDB's keys: `AWS_ACCESS_KEY_ID`,
   * `AWS_SECRET_ACCESS_KEY`, and optionally `AWS_SESSION_TOKEN` and `CA_CERT_DATA` (a PEM CA bundle
   * for an endpoint with a private CA).
   */
  public static fromSecret(secretName: string): S3Credentials {
    return new S3Credentials({ kind: 'S3Credentials.fromSecret', secretName });
  }

  /**
   * An access key given in code. The construct puts both values into a Secret it creates; they
   * appear in the synthesized manifests (base64), so keep those out of version control.
   */
  public static fromAccessKey(accessKeyId: string, secretAccessKey: string): S3Credentials {
    requireValues('S3Credentials.fromAccessKey()', { accessKeyId, secretAccessKey });
    return new S3Credentials({
      kind: 'S3Credentials.fromAccessKey',
      secretData: { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey },
    });
  }

  /**
   * No keys: the pod runs as this Kubernetes ServiceAccount and WAL-G uses the AWS SDK's default
   * chain (IAM Roles for Service Accounts, EKS Pod Identity, instance profile). WAL-G reads a web
   * identity from 2.0 on: with an older version (every catalog version) it is refused at synth time.
   * The library sets `AWS_ROLE_SESSION_NAME`, without which WAL-G 2.0.2 to 3.0.5 fail to assume the role.
   *
   * @see https://docs.aws.amazon.com/eks/latest/userguide/iam-roles-for-service-accounts.html
   */
  public static fromPodIdentity(serviceAccountName: string): S3Credentials {
    requireValues('S3Credentials.fromPodIdentity()', { serviceAccountName });
    return new S3Credentials({ kind: 'S3Credentials.fromPodIdentity', serviceAccountName });
  }

  /** @internal */
  public readonly _spec: CredentialSpec;

  private constructor(spec: CredentialSpec) {
    this._spec = spec;
  }
}

/**
 * Credentials for Google Cloud Storage.
 *
 * @see https://wal-g.readthedocs.io/STORAGES/#gcs
 */
export class GcsCredentials {
  /**
   * An existing Secret (the recommended way) with KubeDB's keys: `GOOGLE_SERVICE_ACCOUNT_JSON_KEY`
   * (the service account's JSON key) and optionally `GOOGLE_PROJECT_ID`.
   */
  public static fromSecret(secretName: string): GcsCredentials {
    return new GcsCredentials({ kind: 'GcsCredentials.fromSecret', secretName });
  }

  /**
   * A service account JSON key given in code; the construct puts it into a Secret it creates.
   */
  public static fromServiceAccountKey(jsonKey: string): GcsCredentials {
    requireValues('GcsCredentials.fromServiceAccountKey()', { jsonKey });
    let parsed: { type?: unknown; project_id?: unknown };
    try {
      parsed = JSON.parse(jsonKey);
    } catch {
      invalid('GcsCredentials.fromServiceAccountKey()', 'jsonKey', '(not shown: it is secret)', 'expected the JSON key file of a Google service account');
    }
    if (parsed === null || typeof parsed !== 'object' || parsed.type !== 'service_account') {
      invalid('GcsCredentials.fromServiceAccountKey()', 'jsonKey', '(not shown: it is secret)', 'expected a JSON key whose "type" is "service_account"');
    }
    const secretData: Record<string, string> = { GOOGLE_SERVICE_ACCOUNT_JSON_KEY: jsonKey };
    if (typeof parsed.project_id === 'string') {
      secretData.GOOGLE_PROJECT_ID = parsed.project_id;
    }
    return new GcsCredentials({ kind: 'GcsCredentials.fromServiceAccountKey', secretData });
  }

  /**
   * No key: the pod runs as this Kubernetes ServiceAccount, bound to a Google service account with
   * GKE Workload Identity.
   *
   * @see https://cloud.google.com/kubernetes-engine/docs/how-to/workload-identity
   */
  public static fromWorkloadIdentity(serviceAccountName: string): GcsCredentials {
    requireValues('GcsCredentials.fromWorkloadIdentity()', { serviceAccountName });
    return new GcsCredentials({ kind: 'GcsCredentials.fromWorkloadIdentity', serviceAccountName });
  }

  /** @internal */
  public readonly _spec: CredentialSpec;

  private constructor(spec: CredentialSpec) {
    this._spec = spec;
  }
}

/**
 * Credentials for Azure Blob Storage.
 *
 * @see https://wal-g.readthedocs.io/STORAGES/#azure
 */
export class AzureCredentials {
  /**
   * An existing Secret (the recommended way) with KubeDB's keys: `AZURE_ACCOUNT_NAME` and
   * `AZURE_ACCOUNT_KEY` (or, instead of the key, `AZURE_STORAGE_SAS_TOKEN`).
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
    if (!/^[a-z0-9]{3,24}$/.test(accountName)) {
      invalid('AzureCredentials.fromAccountKey()', 'accountName', accountName, 'expected an Azure storage account name: 3 to 24 lower-case letters and digits');
    }
    return new AzureCredentials({
      kind: 'AzureCredentials.fromAccountKey',
      secretData: { AZURE_ACCOUNT_NAME: accountName, AZURE_ACCOUNT_KEY: accountKey },
    });
  }

  /** @internal */
  public readonly _spec: CredentialSpec;

  private constructor(spec: CredentialSpec) {
    this._spec = spec;
  }
}

/** Keystone v2 authentication for Swift. */
export interface SwiftKeystoneV2Options {
  /** Keystone URL, e.g. "https://keystone.example.com:5000/v2.0". */
  readonly authUrl: string;
  readonly username: string;
  readonly password: string;
  /**
   * The tenant's name.
   * @default - tenantId is used
   */
  readonly tenantName?: string;
  /**
   * The tenant's id.
   * @default - tenantName is used
   */
  readonly tenantId?: string;
  /**
   * The region.
   * @default - the default region of the Keystone catalog
   */
  readonly region?: string;
}

/** Keystone v3 authentication for Swift. */
export interface SwiftKeystoneV3Options {
  /** Keystone URL, e.g. "https://keystone.example.com:5000/v3". */
  readonly authUrl: string;
  readonly username: string;
  readonly password: string;
  readonly userDomainName: string;
  readonly projectName: string;
  readonly projectDomainName: string;
  /**
   * The region.
   * @default - the default region of the Keystone catalog
   */
  readonly region?: string;
}

/**
 * Credentials for OpenStack Object Storage (Swift).
 *
 * @see https://wal-g.readthedocs.io/STORAGES/#swift
 */
export class SwiftCredentials {
  /**
   * An existing Secret (the recommended way) with KubeDB's keys, one of: v1 `ST_AUTH`, `ST_USER`,
   * `ST_KEY`; v2 `OS_AUTH_URL`, `OS_REGION_NAME`, `OS_USERNAME`, `OS_PASSWORD`, `OS_TENANT_ID` or
   * `OS_TENANT_NAME`; v3 the v2 keys plus `OS_USER_DOMAIN_NAME`, `OS_PROJECT_NAME`,
   * `OS_PROJECT_DOMAIN_NAME`; or `OS_STORAGE_URL` and `OS_AUTH_TOKEN`.
   */
  public static fromSecret(secretName: string): SwiftCredentials {
    return new SwiftCredentials({ kind: 'SwiftCredentials.fromSecret', secretName });
  }

  /** v1 (TempAuth / swauth) authentication; the key goes into a Secret the construct creates. */
  public static fromV1(authUrl: string, user: string, key: string): SwiftCredentials {
    requireValues('SwiftCredentials.fromV1()', { authUrl, user, key });
    singleLine('SwiftCredentials.fromV1()', { user });
    checkUrl('SwiftCredentials.fromV1()', 'authUrl', authUrl);
    return new SwiftCredentials({
      kind: 'SwiftCredentials.fromV1',
      env: { ST_AUTH: authUrl, ST_USER: user },
      secretData: { ST_KEY: key },
    });
  }

  /** Keystone v2 authentication; the password goes into a Secret the construct creates. */
  public static fromKeystoneV2(options: SwiftKeystoneV2Options): SwiftCredentials {
    const o = options ?? ({} as SwiftKeystoneV2Options);
    requireValues('SwiftCredentials.fromKeystoneV2()', { authUrl: o.authUrl, username: o.username, password: o.password });
    singleLine('SwiftCredentials.fromKeystoneV2()', { username: o.username, tenantName: o.tenantName, tenantId: o.tenantId, region: o.region });
    checkUrl('SwiftCredentials.fromKeystoneV2()', 'authUrl', o.authUrl);
    if ((o.tenantName === undefined) === (o.tenantId === undefined)) {
      invalid('SwiftCredentials.fromKeystoneV2()', 'tenantName/tenantId', { tenantName: o.tenantName, tenantId: o.tenantId }, 'expected exactly one of tenantName and tenantId');
    }
    const env: Record<string, string> = { OS_AUTH_URL: o.authUrl, OS_USERNAME: o.username };
    if (o.tenantName !== undefined) env.OS_TENANT_NAME = o.tenantName;
    if (o.tenantId !== undefined) env.OS_TENANT_ID = o.tenantId;
    if (o.region !== undefined) env.OS_REGION_NAME = o.region;
    return new SwiftCredentials({ kind: 'SwiftCredentials.fromKeystoneV2', env, secretData: { OS_PASSWORD: o.password } });
  }

  /** Keystone v3 authentication; the password goes into a Secret the construct creates. */
  public static fromKeystoneV3(options: SwiftKeystoneV3Options): SwiftCredentials {
    const o = options ?? ({} as SwiftKeystoneV3Options);
    requireValues('SwiftCredentials.fromKeystoneV3()', {
      authUrl: o.authUrl,
      username: o.username,
      password: o.password,
      userDomainName: o.userDomainName,
      projectName: o.projectName,
      projectDomainName: o.projectDomainName,
    });
    singleLine('SwiftCredentials.fromKeystoneV3()', {
      username: o.username, userDomainName: o.userDomainName, projectName: o.projectName, projectDomainName: o.projectDomainName, region: o.region,
    });
    checkUrl('SwiftCredentials.fromKeystoneV3()', 'authUrl', o.authUrl);
    const env: Record<string, string> = {
      OS_AUTH_URL: o.authUrl,
      OS_USERNAME: o.username,
      OS_USER_DOMAIN_NAME: o.userDomainName,
      OS_PROJECT_NAME: o.projectName,
      OS_PROJECT_DOMAIN_NAME: o.projectDomainName,
    };
    if (o.region !== undefined) env.OS_REGION_NAME = o.region;
    return new SwiftCredentials({ kind: 'SwiftCredentials.fromKeystoneV3', env, secretData: { OS_PASSWORD: o.password } });
  }

  /** A pre-authenticated storage URL and token; the token goes into a Secret the construct creates. */
  public static fromToken(storageUrl: string, authToken: string): SwiftCredentials {
    requireValues('SwiftCredentials.fromToken()', { storageUrl, authToken });
    checkUrl('SwiftCredentials.fromToken()', 'storageUrl', storageUrl);
    return new SwiftCredentials({
      kind: 'SwiftCredentials.fromToken',
      env: { OS_STORAGE_URL: storageUrl },
      secretData: { OS_AUTH_TOKEN: authToken },
    });
  }

  /** @internal */
  public readonly _spec: CredentialSpec;

  private constructor(spec: CredentialSpec) {
    this._spec = spec;
  }
}

/**
 * The non-secret values go into an env file of KEY=VALUE lines: a line break (or any control
 * character) would end the line and start another setting.
 */
function singleLine(factory: string, values: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries(values)) {
    if (typeof value === 'string') {
      checkSingleLine(factory, name, value);
    }
  }
}

function checkUrl(factory: string, prop: string, value: string): void {
  // Before parsing: the URL parser drops newlines and tabs, which would then split the env file's line.
  checkSingleLine(factory, prop, value);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    invalid(factory, prop, value, 'expected an http(s) URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    invalid(factory, prop, value, 'expected an http(s) URL');
  }
}
