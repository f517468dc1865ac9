import { IConstruct } from 'constructs';
import { CredentialSpec, checkCredentialSpec, requireValues, secretValue } from './_credential-spec';
import { checkPrefix, location, prefixEnv, SecretKeyRule, StorageBinder, StorageBinding, walgLocation } from './_storage-binding';
import { checkSingleLine, invalid, requireString } from './_validation';
import { PostgresVersion } from './postgres-version';
import { WalDataPathOptions } from './storage-data-path';
import { WalStorageLocationOptions } from './storage-location';

/**
 * The setting that names the auth version (1, 2 or 3). WAL-G's Swift client, github.com/ncw/swift (v1.0.44
 * in WAL-G 0.2.7 to 0.2.11, v1.0.49 in 0.2.12 to 2.0.x, v2.0.2 and v2.0.5 in 3.0.x), reads this one and no
 * other (not OS_AUTH_VERSION nor OS_IDENTITY_API_VERSION). Without it the client looks for "v3", "v2" or
 * "v1" anywhere in the auth URL and fails with "Can't find AuthVersion in AuthUrl" when there is none.
 */
const AUTH_VERSION = 'ST_AUTH_VERSION';

/** OpenStack Object Storage (Swift). */
export interface SwiftStorageOptions extends WalStorageLocationOptions, WalDataPathOptions {
  /** The container name. */
  readonly container: string;
  /** The credentials. */
  readonly credentials: SwiftCredentials;
}

/** Keystone v2 authentication for Swift. */
export interface SwiftKeystoneV2Options {
  /**
   * The Keystone v2.0 endpoint, e.g. "https://keystone.example.com:5000/v2.0".
   *
   * It need not name the version (the factory sets `ST_AUTH_VERSION=2`), but WAL-G posts to
   * `<authUrl>/tokens` without version discovery, so it is the URL of the v2.0 API itself: a standard
   * Keystone serves it under `/v2.0`. A URL without a path (the root, which only lists the versions) is
   * refused.
   */
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
  /**
   * The Keystone v3 endpoint, e.g. "https://keystone.example.com:5000/v3".
   *
   * It need not name the version (the factory sets `ST_AUTH_VERSION=3`), but WAL-G posts to
   * `<authUrl>/auth/tokens` without version discovery, so it is the URL of the v3 API itself: a standard
   * Keystone serves it under `/v3`. A URL without a path (the root, which only lists the versions) is
   * refused.
   */
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
 * Each factory that takes an auth URL also sets the auth version it implies (`ST_AUTH_VERSION`, the one
 * setting WAL-G's Swift client reads for it), so the URL need not name the version.
 *
 * The pod reads each value of the Secret as the file's content without the line ends at its end (`\n`,
 * `\r\n`, as `kubectl create secret --from-file` or an editor leaves them); a value of more than one line
 * stops the pod with an error that names the key and never shows the value (a value given in code is
 * refused at synth time).
 *
 * @see https://wal-g.readthedocs.io/STORAGES/#swift
 */
export class SwiftCredentials {
  /**
   * An existing Secret (the recommended way) with KubeDB's keys, one of: v1 `ST_AUTH`, `ST_USER`,
   * `ST_KEY`; v2 `OS_AUTH_URL`, `OS_REGION_NAME`, `OS_USERNAME`, `OS_PASSWORD`, `OS_TENANT_ID` or
   * `OS_TENANT_NAME`; v3 the v2 keys plus `OS_USER_DOMAIN_NAME`, `OS_PROJECT_NAME`,
   * `OS_PROJECT_DOMAIN_NAME`.
   *
   * The auth version is key `ST_AUTH_VERSION`: `1`, `2` or `3` (the pod exports every `ST_*` and `OS_*`
   * key). Without it WAL-G looks for "v3", "v2" or "v1" in the auth URL, and fails with "Can't find
   * AuthVersion in AuthUrl" when the URL has none.
   *
   * @see https://kubernetes.io/docs/concepts/configuration/secret/
   */
  public static fromSecret(secretName: string): SwiftCredentials {
    return new SwiftCredentials({ kind: 'SwiftCredentials.fromSecret', secretName });
  }

  /**
   * v1 (TempAuth / swauth) authentication, `ST_AUTH_VERSION=1`; the key goes into a Secret the construct creates.
   *
   * @param authUrl the auth endpoint, requested as given, e.g. "https://swift.example.com/auth/v1.0". It
   * need not name the version.
   * @param user the user, e.g. "account:user" for TempAuth.
   * @param key the user's key.
   */
  public static fromV1(authUrl: string, user: string, key: string): SwiftCredentials {
    requireValues('SwiftCredentials.fromV1()', { authUrl, user, key });
    singleLine('SwiftCredentials.fromV1()', { user });
    checkUrl('SwiftCredentials.fromV1()', 'authUrl', authUrl);
    return new SwiftCredentials({
      kind: 'SwiftCredentials.fromV1',
      env: { ST_AUTH: authUrl, [AUTH_VERSION]: '1', ST_USER: user },
      secretData: { ST_KEY: secretValue('SwiftCredentials.fromV1()', 'key', key) },
    });
  }

  /** Keystone v2 authentication, `ST_AUTH_VERSION=2`; the password goes into a Secret the construct creates. */
  public static fromKeystoneV2(options: SwiftKeystoneV2Options): SwiftCredentials {
    const o = options ?? ({} as SwiftKeystoneV2Options);
    requireValues('SwiftCredentials.fromKeystoneV2()', { authUrl: o.authUrl, username: o.username, password: o.password });
    singleLine('SwiftCredentials.fromKeystoneV2()', { username: o.username, tenantName: o.tenantName, tenantId: o.tenantId, region: o.region });
    checkKeystoneUrl('SwiftCredentials.fromKeystoneV2()', o.authUrl, 'https://keystone.example.com:5000/v2.0', 'tokens');
    if ((o.tenantName === undefined) === (o.tenantId === undefined)) {
      invalid('SwiftCredentials.fromKeystoneV2()', 'tenantName/tenantId', { tenantName: o.tenantName, tenantId: o.tenantId }, 'expected exactly one of tenantName and tenantId');
    }
    const env: Record<string, string> = { OS_AUTH_URL: o.authUrl, [AUTH_VERSION]: '2', OS_USERNAME: o.username };
    if (o.tenantName !== undefined) env.OS_TENANT_NAME = o.tenantName;
    if (o.tenantId !== undefined) env.OS_TENANT_ID = o.tenantId;
    if (o.region !== undefined) env.OS_REGION_NAME = o.region;
    return new SwiftCredentials({ kind: 'SwiftCredentials.fromKeystoneV2', env, secretData: { OS_PASSWORD: secretValue('SwiftCredentials.fromKeystoneV2()', 'password', o.password) } });
  }

  /** Keystone v3 authentication, `ST_AUTH_VERSION=3`; the password goes into a Secret the construct creates. */
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
    checkKeystoneUrl('SwiftCredentials.fromKeystoneV3()', o.authUrl, 'https://keystone.example.com:5000/v3', 'auth/tokens');
    const env: Record<string, string> = {
      OS_AUTH_URL: o.authUrl,
      [AUTH_VERSION]: '3',
      OS_USERNAME: o.username,
      OS_USER_DOMAIN_NAME: o.userDomainName,
      OS_PROJECT_NAME: o.projectName,
      OS_PROJECT_DOMAIN_NAME: o.projectDomainName,
    };
    if (o.region !== undefined) env.OS_REGION_NAME = o.region;
    return new SwiftCredentials({ kind: 'SwiftCredentials.fromKeystoneV3', env, secretData: { OS_PASSWORD: secretValue('SwiftCredentials.fromKeystoneV3()', 'password', o.password) } });
  }

  /**
   * A pre-authenticated storage URL and token: refused, WAL-G cannot use them.
   *
   * Every WAL-G release authenticates before its first request, and its Swift client then needs an auth
   * URL and an auth version whatever storage URL and token it was given: with these alone it fails with
   * "Can't find AuthVersion in AuthUrl".
   *
   * @deprecated WAL-G cannot use a pre-authenticated token. Use fromV1(), fromKeystoneV2(),
   * fromKeystoneV3() or fromSecret().
   */
  public static fromToken(storageUrl: string, authToken: string): SwiftCredentials {
    requireValues('SwiftCredentials.fromToken()', { storageUrl, authToken });
    invalid('SwiftCredentials.fromToken()', 'storageUrl', storageUrl,
      'WAL-G cannot use a pre-authenticated storage URL and token: every release authenticates against an auth URL first ' +
      '(with these alone it fails with "Can\'t find AuthVersion in AuthUrl"). Use SwiftCredentials.fromV1(), .fromKeystoneV2(), .fromKeystoneV3() or .fromSecret()');
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

/**
 * A Keystone endpoint: an http(s) URL with a path. WAL-G's Swift client posts to `<authUrl>/<request>`
 * without version discovery, and the root of a standard Keystone only lists its API versions, so a URL
 * without a path ("https://keystone.example.com:5000", as OpenStack's own clients take it) would fail.
 */
function checkKeystoneUrl(factory: string, value: string, example: string, request: string): void {
  checkUrl(factory, 'authUrl', value);
  if (new URL(value).pathname === '/') {
    invalid(factory, 'authUrl', value,
      `expected the URL of the Keystone API version itself, such as "${example}": WAL-G posts to <authUrl>/${request} without version discovery, ` +
      'and the root of a Keystone only lists its versions (for an identity API served at the root, use SwiftCredentials.fromSecret() with ST_AUTH_VERSION)');
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
  if (url.username || url.password) {
    // The URL goes into the ConfigMap, which is not secret: its user info is not shown either.
    invalid(factory, prop, `${url.protocol}//(user info not shown)@${url.host}${url.pathname}`,
      'expected a URL without user info: the URL lands in the ConfigMap, which is not secret; give the user and the key or password as their own parameters');
  }
}


/** @internal How WalStorage.swift() binds its options. */
export function swiftBinder(options: SwiftStorageOptions): StorageBinder {
  return {
    location: () => location('swift', options.container, options.prefix),
    bind: (scope, prop, version) => bindSwift(scope, prop, version, options),
  };
}

/**
 * The characters that end, escape or break the host of a URL in Go's url.Parse, and what they do there:
 * WAL-G reads the container as the host of swift://container/prefix.
 */
const HOST_SYNTAX: Array<[RegExp, string]> = [
  [/[/?#]/, 'ends the host (a path, a query or a fragment follows)'],
  [/@/, 'ends a user name, and the host follows it'],
  [/:/, 'starts a port'],
  [/[[\]]/, 'encloses an IP address'],
  [/%/, 'starts an escape'],
  [/[ \\^`{|}]/, 'is not allowed in a host, so WAL-G fails to parse the location'],
];

function checkContainer(scope: IConstruct, prop: string, value: unknown): string {
  const expected = 'expected a Swift container name: 1 to 256 characters, without spaces and without / # ? % @ : [ ] \\ ^ ` { | } (WAL-G reads it as the host of the URL swift://container/prefix)';
  const container = requireString(scope, `${prop}.container`, value, expected);
  checkSingleLine(scope, `${prop}.container`, container);
  if (container.length > 256) {
    invalid(scope, `${prop}.container`, value, expected);
  }
  for (const [chars, what] of HOST_SYNTAX) {
    const c = container.match(chars)?.[0];
    if (c !== undefined) {
      invalid(scope, `${prop}.container`, value, `expected a Swift container name without ${JSON.stringify(c)}: WAL-G reads it as the host of the URL swift://container/prefix, in which ${JSON.stringify(c)} ${what}`);
    }
  }
  return container;
}

/** KubeDB's Secret keys for Swift: the v1 (ST_*) and Keystone (OS_*) settings, under their own names. */
const SWIFT_SECRET_KEYS: SecretKeyRule[] = [{ key: 'ST_*' }, { key: 'OS_*' }];

function bindSwift(scope: IConstruct, prop: string, version: PostgresVersion, o: SwiftStorageOptions): StorageBinding {
  const container = checkContainer(scope, prop, o.container);
  const prefix = checkPrefix(scope, prop, o.prefix, 'url');
  const credentials = checkCredentialSpec(scope, `${prop}.credentials`, o.credentials, 'SwiftCredentials.fromSecret(), .fromV1(), .fromKeystoneV2() or .fromKeystoneV3()');
  if (!credentials.kind.startsWith('SwiftCredentials.')) {
    invalid(scope, `${prop}.credentials`, credentials.kind, 'expected SwiftCredentials');
  }
  const loc = location('swift', container, prefix);
  return {
    env: { [prefixEnv(version, 'SWIFT')]: loc, ...credentials.env },
    credentials,
    identity: `swift ${credentials.env?.ST_AUTH ?? credentials.env?.OS_AUTH_URL ?? credentials.secretName} ${walgLocation('swift', container, prefix)}`,
    secretKeys: SWIFT_SECRET_KEYS,
  };
}
