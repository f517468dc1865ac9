import { ApiObject, Chart, Duration, Names } from 'cdk8s';
import { EnvValue, ImagePullPolicy, ISecret, k8s, Namespaces, Pods, Secret } from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { fetchNotFoundExit, hasWalgFeature, recoveryStyle, requireWalgFeature, WALG_FEATURES } from './_capabilities';
import { WALG_IMAGE } from './_catalog';
import { CredentialSpec, checkCredentialSpec } from './_credential-spec';
import { EncryptionMount, ENCRYPTION_FILES } from './_data-path';
import { addMonitoring, checkMetrics, exporterContainer, MetricsPlan, renderMetricsQueries } from './_metrics';
import { addNetworkPolicy } from './_network-policy';
import { DEFAULT_DATABASE, METRICS_PORT, METRICS_QUERIES_KEY, PATHS, PodEnv, PORT, RECOVERY_SETTINGS_KEY, REPLICATION_USER, StorageRole, SUPERUSER } from './_pod-contract';
import {
  checkPodOptions, checkResources, CheckedResources, ClientService, CONFIG_CHECKSUM_ANNOTATION, configChecksum, LIBRARY_PREFIX, PodOptions,
  PodScheduling,
} from './_pod-options';
import { confString, renderRecovery } from './_recovery';
import { addRestoreDrill, RestoreDrill } from './_restore-drill';
import { libScript, SCRIPT_FILES, script } from './_scripts';
import { StorageBinding } from './_storage-binding';
import {
  checkDnsLabel, checkDnsSubdomain, checkLabelKey, checkLabelValue, checkNonNegativeInteger, checkPositiveInteger, checkQuantity, checkSecretKey,
  checkSingleLine, checkWholeSeconds, invalid, optionalBoolean, requireString,
} from './_validation';
import { ArchivingOptions, ConnectionEnvOptions, PostgresInstanceOptions } from './postgres-options';
import { PostgresVersion } from './postgres-version';
import { RecoveryTarget } from './recovery-target';
import { ReplicationPassword } from './replication-password';
import { SuperuserPassword } from './superuser-password';
import { WalStorage } from './wal-storage';

/** The archive an instance pushes WAL and base backups to. */
export interface ArchiveTarget {
  readonly storage: WalStorage;
  /** The property that holds it, for messages ("storage", "archive"). */
  readonly prop: string;
  readonly options: ArchivingOptions;
}

/** The archive a new instance is restored from. */
export interface RestoreSource {
  readonly storage: WalStorage;
  /** The property that holds it, for messages ("source"). */
  readonly prop: string;
  readonly backupName?: string;
  readonly target?: RecoveryTarget;
  /** baseBackupFetchTimeout. */
  readonly fetchTimeout?: Duration;
}

/** What a subclass says about its instance; everything else is common to all. */
export interface InstancePlan {
  /** The construct's class name, for messages and the postgresql.conf header. */
  readonly kind: string;
  readonly version: PostgresVersion;
  readonly restore?: RestoreSource;
  readonly archive?: ArchiveTarget;
}

/** Parameters the construct owns. */
const MANAGED_PARAMETERS = [
  'archive_mode', 'archive_command', 'archive_timeout', 'wal_level', 'restore_command', 'listen_addresses', 'port',
  'unix_socket_directories', 'hba_file', 'data_directory', 'config_file', 'include', 'include_if_exists', 'include_dir',
];

/** Locations archived to by constructs of one app, to refuse two clusters in one archive. */
const ARCHIVES = new WeakMap<IConstruct, Map<string, string>>();
/**
 * Per app: each location's encryption as an archive writes it or a restore reads it (method, and a
 * libsodium key's transform), with the construct path and property, to refuse a restore of an archive
 * of the same app that the restore could not decrypt (a forgotten or different `encryption`).
 */
const ENCRYPTIONS = new WeakMap<IConstruct, Map<string, { what: string; role: StorageRole; where: string }>>();
/**
 * The names the instances of an app use, by namespace and name: an instance's own name, and what it
 * names after it (`what`: the StatefulSet of a member, the read-only Service). Two instances of one
 * name in one namespace would overwrite each other's objects.
 */
const NAMES = new WeakMap<IConstruct, Map<string, { path: string; what?: string }>>();
/** The end of the message of a name that another instance uses for its members. */
const RESERVED_NAMES = 'give each instance its own name (each uses "<name>-pods" for its headless Service; one with replicas also '
  + '"<name>-1" to "<name>-<replicas - 1>" for its members\' StatefulSets and "<name>-ro" for its read-only Service)';
/** The labels the library sets on every object: the user's labels may not set them. */
const LIBRARY_LABELS = ['app.kubernetes.io/name', 'app.kubernetes.io/instance', 'app.kubernetes.io/version', 'app.kubernetes.io/component', 'app.kubernetes.io/managed-by'];
/** The pod label of a member's number (replicas > 1): "0", "1", … */
const MEMBER_LABEL = `${LIBRARY_PREFIX}member`;
/** The pod label of a member's role (replicas > 1): "primary" or "standby"; the client and read-only Services select by it. */
const ROLE_LABEL = `${LIBRARY_PREFIX}role`;
/** The postgres container's CPU and memory unless `resources` says otherwise. */
const DEFAULT_RESOURCES: CheckedResources = { requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '1', memory: '1Gi' } };
/** The most members an instance may have: one primary and nine standbys. */
const MAX_REPLICAS = 10;

/**
 * The members of an instance: one primary and replicas - 1 hot standbys, each a StatefulSet of one pod.
 * A member's role is in its own manifest (env and labels), never in a pod's ordinal, so it survives any
 * rescheduling: a member's pod comes back with the same name, claim and role.
 */
interface Members {
  readonly replicas: number;
  /** The member that is the primary. */
  readonly primary: number;
  /** The StatefulSet of each member, in member order: `<name>`, then `<name>-<i>`. */
  readonly names: string[];
  /** The headless Service that governs every member's StatefulSet. */
  readonly headless: string;
  /**
   * The member whose walg-backup sidecar pushes the scheduled base backups: the primary, or with
   * baseBackupsFromStandby the lowest-numbered standby.
   */
  readonly backups: number;
}

/** The storages' keyless identity: the pod's service account, and the labels it needs on the pod. */
interface PodIdentity {
  readonly serviceAccountName?: string;
  readonly labels: Record<string, string>;
}

/** A password option: the property, its class, the created Secret's name suffix and construct id. */
interface PasswordOption {
  readonly prop: string;
  readonly cls: 'SuperuserPassword' | 'ReplicationPassword';
  readonly suffix: string;
  readonly id: string;
}

/** A password's Secret and the key that holds it. */
interface PasswordSecret {
  readonly secretName: string;
  readonly key: string;
}

/** A storage bound for this pod, in the role it plays. */
interface BoundStorage {
  readonly role: StorageRole;
  readonly prop: string;
  readonly binding: StorageBinding;
}

/** Labels of every object, and the subset that selects the pod. */
interface Labels {
  readonly all: Record<string, string>;
  readonly selector: Record<string, string>;
}

// The objects are written as their manifests: plain ApiObjects whose bodies have the API's field names
// ("clusterIP", a targetPort "postgres", quantities as strings such as "512Mi"). cdk8s-plus-27's typed
// classes (k8s.KubeStatefulSet, …) would convert a TypeScript-shaped body at every synth, field by field,
// which for an instance's StatefulSet costs as much as all the rest the library adds to a plain cdk8s app
// (bench/, `npx projen bench`). The body types are the k8s ones wherever the API has the same names.

/** Requests and limits as the manifest holds them ("250m", "512Mi"). */
interface ResourcesManifest {
  readonly requests: Record<string, string>;
  readonly limits: Record<string, string>;
}

/** A container: the k8s.Container fields the library sets (named as in the API), resources as strings. */
type ContainerManifest = Omit<k8s.Container, 'resources'> & { readonly resources: ResourcesManifest };

/** A volume of the pod: the sources the library writes, or a Local storage's volume (from k8s.toJson_Volume()). */
interface VolumeManifest {
  readonly name: string;
  readonly configMap?: k8s.ConfigMapVolumeSource;
  readonly secret?: k8s.SecretVolumeSource;
  readonly emptyDir?: { readonly medium?: string; readonly sizeLimit?: string };
  readonly [source: string]: unknown;
}

/** The checked settings of the pod's containers and data volume. */
interface PodSettings {
  readonly storageSize: string;
  readonly storageClassName?: string;
  readonly resources: ResourcesManifest;
  readonly pullPolicy: ImagePullPolicy;
  readonly attempts: number;
  readonly retrySeconds: number;
}

/** What the pod template is made of, as the steps build it. */
interface PodParts {
  readonly initContainers: ContainerManifest[];
  readonly containers: ContainerManifest[];
  readonly volumes: VolumeManifest[];
  /** The pod template's annotations: the user's and the config checksum. */
  readonly annotations: Record<string, string>;
  readonly scheduling: PodScheduling;
  /** The storages' keyless identity. */
  readonly identity: PodIdentity;
}

/** A Local storage's volume as mounted: where, the volume, and its name in the pod. */
interface LocalMount {
  readonly mountPath: string;
  readonly volume: k8s.Volume;
  readonly name: string;
}

/** Volumes and mounts, as the steps add them. */
interface Mounts {
  readonly volumes: VolumeManifest[];
  /** The postgres container's. */
  readonly mounts: k8s.VolumeMount[];
  /** The walg-backup sidecar's. */
  readonly sidecarMounts: k8s.VolumeMount[];
}

/** A duration option in whole seconds, or its default. */
function seconds(scope: IConstruct, prop: string, d: Duration | undefined, fallback: number): number {
  return d === undefined ? fallback : checkWholeSeconds(scope, prop, d, 'expected a Duration such as Duration.seconds(60)', 'expected a whole number of seconds, at least 1');
}

/**
 * The WAL chain check's schedule (walVerify, walVerifyInterval): on by default where the version's WAL-G has
 * `wal-verify` with named checks; a setting that no check would read is refused.
 */
export function walVerifyEnv(scope: IConstruct, options: ArchivingOptions, version: PostgresVersion): PodEnv {
  const wanted = optionalBoolean(scope, 'walVerify', options.walVerify);
  if (wanted === true) {
    requireWalgFeature(scope, 'walVerify', true, version, 'walVerify', 'Leave walVerify out');
  }
  // A shared archive (allowNonEmptyArchive) holds other clusters' timelines: the timeline check would fail for good.
  const on = wanted ?? (hasWalgFeature(version, 'walVerify') && options.allowNonEmptyArchive !== true);
  if (!on) {
    if (options.walVerifyInterval !== undefined) {
      invalid(scope, 'walVerifyInterval', options.walVerifyInterval, wanted === false
        ? 'expected walVerifyInterval left out: with walVerify: false (or allowNonEmptyArchive without walVerify: true) no WAL chain check runs'
        : `expected walVerifyInterval left out: PostgresVersion ${version.name} bundles WAL-G ${version.walgVersion}, which lacks wal-verify with named checks (WAL-G ${WALG_FEATURES.walVerify.since} and later have it), so no WAL chain check runs`);
    }
    return {};
  }
  const every = checkWholeSeconds(scope, 'walVerifyInterval', options.walVerifyInterval ?? Duration.hours(1), 'expected a Duration such as Duration.hours(1)',
    'expected a whole number of seconds from 60 to 604800 (7 days)');
  if (every < 60 || every > 604800) {
    invalid(scope, 'walVerifyInterval', options.walVerifyInterval, 'expected a whole number of seconds from 60 to 604800 (7 days)');
  }
  return { PG_WALG_WAL_VERIFY_SECONDS: String(every) };
}

const toEnv = (e: PodEnv) => Object.entries(e).map(([k, v]) => ({ name: k, value: v as string }));

/**
 * A PostgreSQL instance with WAL-G: a StatefulSet, its Services, its ConfigMap and its Secrets. The
 * subclasses say what differs (the archive, the restore source) in an InstancePlan; each concern of
 * the pod is one step here.
 *
 * @internal A hidden base class: jsii copies its public members into each subclass.
 */
export abstract class PostgresInstanceBase extends Construct {
  /** The name of the instance: its (member 0's) StatefulSet's, the client Service's, and the prefix of the other objects' names. */
  public readonly name: string;
  /** The client Service's name: apps connect to `host` (`<serviceName>.<namespace>.svc`) on `port`. */
  public readonly serviceName: string;
  /**
   * The headless Service that governs the StatefulSets (of every member): a member's pod is
   * `<statefulSet>-0.<headlessServiceName>` in DNS.
   */
  public readonly headlessServiceName: string;
  /** The ConfigMap with the WAL-G settings, postgresql.conf, the recovery settings when restoring, and the pod's scripts. */
  public readonly configMapName: string;
  /** The Secret with the superuser password. */
  public readonly authSecretName: string;
  /**
   * The Secret with the superuser password, as a cdk8s-plus reference: the one the construct creates
   * (`SuperuserPassword.fromValue()`), the one you named (`SuperuserPassword.fromSecret()`), or `<name>-auth`
   * (no `superuserPassword`). Its key `authSecretKey` holds the password: `authSecret.envValue(authSecretKey)`
   * is the `EnvValue` that `connectionEnv()` gives as PGPASSWORD.
   *
   * @see https://kubernetes.io/docs/concepts/configuration/secret/#using-secrets-as-environment-variables
   */
  public readonly authSecret: ISecret;
  /**
   * The key of `authSecret` that holds the superuser password.
   *
   * @default "POSTGRES_PASSWORD" (unless `SuperuserPassword.fromSecret()` names another key)
   */
  public readonly authSecretKey: string;
  /**
   * The client Service (ClusterIP unless `serviceType`), as the L1 object: cdk8s-plus-27 has no reference
   * type for a Service it did not create, and its `Service` would synthesize another manifest. Use it for
   * dependencies (`app.node.addDependency(db.clientService)`) and escape hatches; connect with `host` and
   * `port`, or `connectionEnv()`.
   *
   * @see https://kubernetes.io/docs/concepts/services-networking/service/
   */
  public readonly clientService: ApiObject;
  /**
   * The host name apps in the cluster connect to: the client Service's DNS name, `<serviceName>.<namespace>.svc`
   * when the chart has a namespace (it resolves from any namespace, whatever the cluster domain), else
   * `<serviceName>` (it resolves only from the namespace the manifests are applied to).
   *
   * @see https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/#services
   */
  public readonly host: string;
  /** The TCP port of the client Service (and of the container): 5432. */
  public readonly port: number;
  /**
   * The read-only Service `<name>-ro` (ClusterIP, port 5432) that selects the hot standbys, when `replicas` is
   * 2 or more: for reads that may lag behind the primary (by as much as the standbys' replay does).
   *
   * @default - none: with one instance there is no standby and no read-only Service
   * @see https://www.postgresql.org/docs/current/hot-standby.html
   */
  public readonly readOnlyServiceName?: string;
  /**
   * The host name of the read-only Service, as `host` is the client Service's: `<readOnlyServiceName>.<namespace>.svc`
   * when the chart has a namespace, else `<readOnlyServiceName>`; with `port`, the same credentials as
   * `connectionEnv()`.
   *
   * @default - none: with one instance there is no read-only Service
   */
  public readonly readOnlyHost?: string;
  /**
   * The database pods (of every member), as a cdk8s-plus pod selector and NetworkPolicy peer (their labels
   * `app.kubernetes.io/name` and `app.kubernetes.io/instance`, in the chart's namespace when it has one): for an app's
   * `connections.allowTo(db.pods, …)` or a `NetworkPolicy` rule. A NetworkPolicy selects pods, never a
   * Service, so the peer is the pod behind it.
   *
   * @see https://kubernetes.io/docs/concepts/services-networking/network-policies/
   */
  public readonly pods: Pods;
  /**
   * The StatefulSet of member 0 (`<name>`; with one instance, the only one), for escape hatches: not
   * necessarily the primary's (see `primaryMember`).
   */
  public readonly statefulSet: ApiObject;
  /**
   * The StatefulSet of each member, in member order (`memberStatefulSets[0]` is `statefulSet`), for escape
   * hatches: one per `replicas`, each of one pod.
   */
  public readonly memberStatefulSets: ApiObject[];
  /**
   * The StatefulSet names of the members, in member order: `<name>` for member 0, `<name>-<i>` for member
   * i. Member i's pod is `<memberNames[i]>-0`, its data claim `data-<memberNames[i]>-0`.
   */
  public readonly memberNames: string[];
  /**
   * The NetworkPolicy that admits the clients to PostgreSQL (`<name>-postgres`), when `networkPolicy` is set.
   *
   * @default - none: no NetworkPolicy is made
   */
  public readonly networkPolicyName?: string;
  /**
   * The CronJob of the restore drill (`<name>-restore-drill`), when `restoreDrill` is set: run one by hand with
   * `kubectl create job --from=cronjob/<restoreDrillCronJobName> <a job name>`.
   *
   * @default - none: no restore drill
   */
  public readonly restoreDrillCronJobName?: string;

  /**
   * @param plan called once the construct exists (so that its checks can name it): what the subclass adds
   */
  protected constructor(scope: Construct, id: string, props: PostgresInstanceOptions | undefined, plan: (self: Construct) => InstancePlan) {
    super(scope, id);
    const p = plan(this);
    const o = props ?? {};
    this.name = o.name === undefined ? Names.toDnsLabel(this, { maxLen: 40 }) : checkDnsLabel(this, 'name', o.name, 40);
    this.serviceName = this.name;
    const members = this.members(p, o);
    this.memberNames = members.names;
    this.claimName(members);
    const labels = this.labels(o.labels, p.version);
    const pod = this.podSettings(o);
    const options = this.podOptions(o, labels, members);
    const files = this.serverConfig(o.parameters, p, members);
    const metrics = this.metricsFiles(o, p, files);
    const env = this.environment(p, pod);
    const mounts: Mounts = { volumes: [], mounts: [], sidecarMounts: [] };
    const storages = this.bindStorages(p, files, mounts);
    this.claimArchive(p, storages, env);
    this.restoreSettings(p, files, env);
    this.configMapName = `${this.name}-config`;
    new ApiObject(this, 'ConfigMap', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: this.configMapName, labels: labels.all }, data: files });
    const password = this.passwordSecret(o.superuserPassword, labels);
    this.authSecretName = password.secretName;
    this.authSecret = Secret.fromSecretName(this, 'AuthSecretReference', password.secretName);
    this.authSecretKey = password.key;
    this.podVolumes(password, mounts);
    this.replicationSecret(o.replicationPassword, members, labels, mounts);
    this.credentialSecrets(storages, labels, mounts);
    this.encryptionSecrets(storages, mounts);
    const initContainers = this.walgInstall(p.version, pod, env, mounts);
    const containers = members.names.map((_, i) => this.containers(p, pod, this.memberEnv(p, env, members, i), mounts, members, i, metrics));
    const services = this.services(labels, options.service, members, metrics);
    this.headlessServiceName = services.headless;
    this.clientService = services.client;
    this.readOnlyServiceName = services.readOnly;
    this.networkPolicyName = this.networkPolicy(labels, o, metrics);
    const namespace = Chart.of(this).namespace;
    const identity = this.podIdentity(storages, labels);
    const drill = this.restoreDrill(p, pod, labels, env, mounts, initContainers, options.scheduling, identity);
    this.restoreDrillCronJobName = drill?.cronJobName;
    this.monitoring(metrics, p, labels, namespace, services.headless, drill);
    this.host = hostOf(this.serviceName, namespace);
    this.readOnlyHost = this.readOnlyServiceName === undefined ? undefined : hostOf(this.readOnlyServiceName, namespace);
    this.port = PORT;
    this.pods = this.podSelector(labels, namespace);
    const annotations = this.podTemplateAnnotations(options.podAnnotations, files);
    this.memberStatefulSets = members.names.map((_, i) => {
      const volumes = usedVolumes(mounts.volumes, initContainers, containers[i]);
      const parts: PodParts = { initContainers, containers: containers[i], volumes, annotations, scheduling: options.scheduling, identity };
      return this.statefulSetOf(p.version, pod, labels, members, i, parts);
    });
    this.statefulSet = this.memberStatefulSets[0];
    this.disruptionBudget(labels, members);
  }

  /**
   * The libpq environment variables an app container connects with, as cdk8s-plus `EnvValue`s: PGHOST
   * (`host`), PGPORT (`port`, 5432), PGUSER (the superuser `postgres`), PGPASSWORD (a `secretKeyRef` to
   * `authSecret`'s key `authSecretKey`: the password stays in the Secret, never in the manifest) and
   * PGDATABASE. libpq clients (psql, psycopg, pgx, node-postgres, …) read them as they are; other clients
   * read them by name. Pass them as a container's `envVariables`, or add each with `container.env.addVariable()`.
   *
   * The Secret must exist before the app's pod starts (the kubelet does not start a container whose
   * `secretKeyRef` is missing, https://kubernetes.io/docs/concepts/configuration/secret/#using-secrets-as-environment-variables);
   * the construct creates it only for `SuperuserPassword.fromValue()`.
   *
   * @param options the database to connect to
   * @returns the variables by name: PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE
   * @see https://www.postgresql.org/docs/current/libpq-envars.html
   */
  public connectionEnv(options?: ConnectionEnvOptions): { [name: string]: EnvValue } {
    const database = options?.database === undefined ? DEFAULT_DATABASE : checkDatabaseName(this, options.database);
    return {
      PGHOST: EnvValue.fromValue(this.host),
      PGPORT: EnvValue.fromValue(String(this.port)),
      PGUSER: EnvValue.fromValue(SUPERUSER),
      PGPASSWORD: this.authSecret.envValue(this.authSecretKey),
      PGDATABASE: EnvValue.fromValue(database),
    };
  }

  /**
   * The members: how many (replicas), which is the primary (primaryMember), and their StatefulSets'
   * names. Member 0 keeps the single instance's StatefulSet `<name>` (a StatefulSet's selector and claim
   * templates cannot change), so an instance scaled from one keeps its pod and its claim.
   */
  private members(p: InstancePlan, o: PostgresInstanceOptions): Members {
    const replicas = o.replicas === undefined ? 1 : o.replicas;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 1 || replicas > MAX_REPLICAS) {
      invalid(this, 'replicas', replicas, `expected a whole number from 1 to ${MAX_REPLICAS}: one primary and up to ${MAX_REPLICAS - 1} hot standbys`);
    }
    if (replicas > 1 && p.restore && !p.archive) {
      invalid(this, 'replicas', replicas, 'expected 1 without an onward archive: standbys are made from the archive\'s base backups and fall back to its WAL '
        + 'when streaming breaks, so a restored instance with standbys needs `archive` (an onward WalStorage, not `source`); set it, or leave replicas at 1');
    }
    const primary = o.primaryMember === undefined ? 0 : o.primaryMember;
    if (typeof primary !== 'number' || !Number.isInteger(primary) || primary < 0 || primary >= replicas) {
      invalid(this, 'primaryMember', primary, replicas === 1 ? `expected 0: with replicas 1${o.replicas === undefined ? ' (the default)' : ''} the only member is the primary`
        : `expected a whole number from 0 to ${replicas - 1}: the members of replicas ${replicas} are numbered from 0`);
    }
    const names = Array.from({ length: replicas }, (_, i) => (i === 0 ? this.name : `${this.name}-${i}`));
    const fromStandby = p.archive ? optionalBoolean(this, 'baseBackupsFromStandby', p.archive.options.baseBackupsFromStandby) : undefined;
    if (fromStandby && replicas === 1) {
      invalid(this, 'baseBackupsFromStandby', fromStandby, `expected false or no value with replicas 1${o.replicas === undefined ? ' (the default)' : ''}: `
        + 'there is no standby to take base backups from; set replicas to 2 or more');
    }
    if (fromStandby) {
      requireWalgFeature(this, 'baseBackupsFromStandby', fromStandby, p.version, 'standbyBackups');
    }
    const backups = fromStandby ? (primary === 0 ? 1 : 0) : primary;
    return { replicas, primary, names, headless: `${this.name}-pods`, backups };
  }

  /**
   * One instance per name and namespace in an app: another would synthesize objects of the same names
   * (its StatefulSet, Services, ConfigMap, Secrets), and `kubectl apply` would keep the last of each. An
   * instance also names its headless Service after itself, and one with replicas its other members'
   * StatefulSets and its read-only Service: another instance of one of those names would have a
   * StatefulSet or a Service of that name.
   */
  private claimName(members: Members): void {
    const namespace = Chart.of(this).namespace;
    const root = this.node.root;
    const seen = NAMES.get(root) ?? new Map<string, { path: string; what?: string }>();
    NAMES.set(root, seen);
    const where = namespace === undefined ? 'in charts without a namespace (the same namespace at `kubectl apply`)' : `in namespace "${namespace}"`;
    const claims: Array<{ name: string; what?: string }> = [{ name: this.name }, ...members.names.slice(1).map((name, i) => ({ name, what: `the StatefulSet of its member ${i + 1}` }))];
    if (members.replicas > 1) {
      claims.push({ name: `${this.name}-ro`, what: 'its read-only Service' });
    }
    claims.push({ name: members.headless, what: 'its headless Service' });
    for (const { name, what } of claims) {
      const other = seen.get(`${namespace ?? ''}/${name}`);
      if (other && !what && !other.what) {
        invalid(this, 'name', this.name, `${other.path} already has this name ${where}; their StatefulSets, Services, ConfigMaps and Secrets would have the same names, so give each its own name`);
      } else if (other && !what) {
        invalid(this, 'name', this.name, `${other.path} already uses this name ${where}, for ${other.what}; ${RESERVED_NAMES}`);
      } else if (other) {
        invalid(this, 'name', this.name, `this instance would use "${name}" for ${what}, which ${other.path} already uses ${where}${other.what ? `, for ${other.what}` : ' as its name'}; ${RESERVED_NAMES}`);
      }
    }
    for (const { name, what } of claims) {
      seen.set(`${namespace ?? ''}/${name}`, { path: this.node.path, what });
    }
  }

  /** The labels of every object: the user's, then the library's. */
  private labels(given: Record<string, string> | undefined, version: PostgresVersion): Labels {
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(given ?? {})) {
      if (LIBRARY_LABELS.includes(k)) {
        invalid(this, 'labels', k, `expected a label the library does not set: it sets ${LIBRARY_LABELS.join(', ')} on every object (the selector, the version, the component, the manager)`);
      }
      if (k === MEMBER_LABEL || k === ROLE_LABEL) {
        invalid(this, 'labels', k, `expected a label the library does not set: it sets ${MEMBER_LABEL} and ${ROLE_LABEL} on the pods of an instance with replicas `
          + '(the member\'s number, primary or standby), and its Services select by them');
      }
      labels[checkLabelKey(this, 'labels', k)] = checkLabelValue(this, `labels.${k}`, v);
    }
    const selector = { 'app.kubernetes.io/name': 'postgres', 'app.kubernetes.io/instance': this.name };
    Object.assign(labels, selector, {
      'app.kubernetes.io/version': version.name.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 63),
      'app.kubernetes.io/component': 'database',
      'app.kubernetes.io/managed-by': 'cdk8s-postgres-walg',
    });
    return { all: labels, selector };
  }

  /** Sizes, resources and the storage retry settings. */
  private podSettings(o: PostgresInstanceOptions): PodSettings {
    const storageSize = o.storageSize === undefined ? '10Gi' : checkQuantity(this, 'storageSize', o.storageSize, '10Gi');
    const storageClassName = o.storageClassName === undefined ? undefined : checkDnsSubdomain(this, 'storageClassName', o.storageClassName);
    const r = checkResources(this, 'resources', o.resources, DEFAULT_RESOURCES);
    const resources = {
      // The node disk the container uses outside the PVC: /tmp and the socket directory (emptyDirs)
      // and its logs (the root filesystem is read-only). Bounded, so a runaway cannot fill the node.
      requests: { ...r.requests, 'ephemeral-storage': '128Mi' },
      limits: { ...r.limits, 'ephemeral-storage': '2Gi' },
    };
    const pullPolicy = o.imagePullPolicy ?? ImagePullPolicy.IF_NOT_PRESENT;
    if (!Object.values(ImagePullPolicy).includes(pullPolicy)) {
      invalid(this, 'imagePullPolicy', pullPolicy, `expected one of ${Object.values(ImagePullPolicy).join(', ')}`);
    }
    const attempts = o.storageAttempts === undefined ? 12 : checkPositiveInteger(this, 'storageAttempts', o.storageAttempts, 1000);
    const retrySeconds = seconds(this, 'storageRetryInterval', o.storageRetryInterval, 5);
    return { storageSize, storageClassName, resources, pullPolicy, attempts, retrySeconds };
  }

  /**
   * Scheduling, metadata, the client Service's exposure and the image pull Secrets: checked here, set
   * on the pod template and the client Service by the steps that build them. With replicas and no
   * `affinity`, a preferred anti-affinity spreads the members over nodes (preferred: a cluster of fewer
   * nodes than members still runs them all); a given `affinity` is kept as it is.
   */
  private podOptions(o: PostgresInstanceOptions, labels: Labels, members: Members): PodOptions {
    const options = checkPodOptions(this, o);
    if (members.replicas === 1 || options.scheduling.affinity !== undefined) {
      return options;
    }
    const affinity: k8s.Affinity = {
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: labels.selector } } },
        ],
      },
    };
    return { ...options, scheduling: { ...options.scheduling, affinity } };
  }

  /**
   * The pod template's annotations: the user's, then the sha256 of the ConfigMap's data, so that a change
   * of parameters, archive settings or scripts changes the template and rolls the pod (a restart).
   */
  private podTemplateAnnotations(given: Record<string, string> | undefined, files: Record<string, string>): Record<string, string> {
    return { ...given, [CONFIG_CHECKSUM_ANNOTATION]: configChecksum(files) };
  }

  /** The ConfigMap's first files: the scripts, postgresql.conf and pg_hba.conf. */
  private serverConfig(parameters: Record<string, string> | undefined, p: InstancePlan, members: Members): Record<string, string> {
    const conf: string[] = [
      `# postgresql.conf settings of ${p.kind} ${this.node.path} (cdk8s-postgres-walg).`,
      '# bootstrap.sh copies them to PGDATA/pg-walg.conf, included by postgresql.conf; they apply at the next restart.',
    ];
    if (p.archive) {
      const timeout = seconds(this, 'archiveTimeout', p.archive.options.archiveTimeout, 60);
      conf.push('wal_level = replica', 'archive_mode = on', "archive_command = 'wal-g wal-push %p'", `archive_timeout = ${timeout}`);
    } else {
      conf.push('archive_mode = off');
    }
    if (members.replicas > 1) {
      // Standbys serve reads and the primary has WAL senders to stream to them (9.6's defaults are off and
      // 0). Before the user's parameters: PostgreSQL takes the last value, so a user's own one wins. The
      // archive settings stay on every member: a standby never runs archive_command with archive_mode on,
      // and a standby promoted by hand archives at once.
      conf.push('hot_standby = on', 'max_wal_senders = 10');
    }
    for (const [k, v] of Object.entries(parameters ?? {})) {
      if (!/^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/.test(k)) {
        invalid(this, 'parameters', k, 'expected a PostgreSQL parameter name such as "max_connections"');
      }
      if (MANAGED_PARAMETERS.includes(k)) {
        invalid(this, 'parameters', k, `this parameter is managed by ${p.kind}; managed parameters are ${MANAGED_PARAMETERS.join(', ')}`);
      }
      if (typeof v !== 'string') {
        invalid(this, `parameters.${k}`, v, 'expected a string value, e.g. "200"');
      }
      checkSingleLine(this, `parameters.${k}`, v);
      conf.push(`${k} = ${confString(v)}`);
    }
    const files: Record<string, string> = {};
    for (const f of SCRIPT_FILES) {
      files[f] = script(f);
    }
    files['postgresql.conf'] = conf.join('\n') + '\n';
    files['pg_hba.conf'] = [
      '# pg_hba.conf (cdk8s-postgres-walg): local socket for the pod itself, passwords over the network.',
      'local   all          all                 trust',
      'host    all          all   0.0.0.0/0     md5',
      'host    all          all   ::/0          md5',
      'host    replication  all   0.0.0.0/0     md5',
      'host    replication  all   ::/0          md5',
      '',
    ].join('\n');
    return files;
  }

  /** The environment of the postgres container: the paths and settings the scripts read. */
  private environment(p: InstancePlan, pod: PodSettings): PodEnv {
    return {
      PGDATA: PATHS.pgdata,
      PGHOST: PATHS.run,
      PGPORT: String(PORT),
      PGUSER: SUPERUSER,
      PG_WALG_CONFIG: PATHS.config,
      PG_WALG_SECRETS: PATHS.secrets,
      PG_WALG_STATE: PATHS.state,
      PG_WALG_BOOTSTRAP: p.restore ? 'restore' : 'initdb',
      PG_WALG_ARCHIVE: p.archive ? 'on' : 'off',
      PG_WALG_PG_MAJOR: p.version.majorVersion,
      PG_WALG_ATTEMPTS: String(pod.attempts),
      PG_WALG_RETRY_SECONDS: String(pod.retrySeconds),
      PG_WALG_FETCH_NOT_FOUND_EXIT: String(fetchNotFoundExit(p.version)),
      HOME: PATHS.tmp,
    };
  }

  /**
   * Binds the restore source and the archive: their settings files into the ConfigMap, their Local
   * volumes into the mounts. Refuses an onward archive that is the restore source.
   */
  private bindStorages(p: InstancePlan, files: Record<string, string>, mounts: Mounts): BoundStorage[] {
    const bound: BoundStorage[] = [];
    if (p.restore) {
      bound.push({ role: 'restore', prop: p.restore.prop, binding: p.restore.storage._bind(this, p.restore.prop) });
    }
    if (p.archive) {
      bound.push({ role: 'archive', prop: p.archive.prop, binding: p.archive.storage._bind(this, p.archive.prop) });
    }
    if (p.restore && p.archive && bound[0].binding.identity === bound[1].binding.identity) {
      invalid(this, p.archive.prop, p.archive.storage.location, `the onward archive must differ from the restore source (${p.restore.prop}): archiving into the archive being restored would mix two WAL histories; use another prefix`);
    }
    this.checkEncryptionAgrees(bound);
    let serviceAccount: string | undefined;
    const local: LocalMount[] = [];
    for (const b of bound) {
      this.storageFiles(b, files);
      serviceAccount = this.serviceAccount(b, serviceAccount);
      this.mountLocal(b, local, mounts);
    }
    // load_storage learns the Secret keys of exactly these storages.
    files['lib.sh'] = libScript(bound.flatMap((b) => b.binding.secretKeys ?? []));
    return bound;
  }

  /**
   * An archive and a restore of one location in one app must agree on its encryption: a restore without
   * the archive's (or with another method) would stop at its first file. Checked whichever comes first.
   */
  private checkEncryptionAgrees(bound: BoundStorage[]): void {
    const seen = ENCRYPTIONS.get(this.node.root) ?? new Map<string, { what: string; role: StorageRole; where: string }>();
    ENCRYPTIONS.set(this.node.root, seen);
    for (const { role, prop, binding } of bound) {
      const enc = binding.encryption;
      const what = !enc ? 'no encryption' : enc.pathEnv.WALG_LIBSODIUM_KEY_PATH
        ? `libsodium encryption${binding.env.WALG_LIBSODIUM_KEY_TRANSFORM ? ` (key transform ${binding.env.WALG_LIBSODIUM_KEY_TRANSFORM})` : ''}` : 'OpenPGP encryption';
      const other = seen.get(`${role === 'restore' ? 'archive' : 'restore'} ${binding.identity}`);
      if (other && other.what !== what) {
        const [writer, reader] = role === 'restore' ? [other.where, `this restore (${prop})`] : [`this archive (${prop})`, other.where];
        invalid(this, `${prop}.encryption`, what, `${writer} writes this location with ${role === 'restore' ? other.what : what}, and ${reader} would read it with ${role === 'restore' ? what : other.what}: ` +
          'give both storages the same encryption (the same method and key)');
      }
      if (!seen.has(`${role} ${binding.identity}`)) {
        seen.set(`${role} ${binding.identity}`, { what, role, where: `${this.node.path} (${prop})` });
      }
    }
  }

  /** `<role>.env` and `<role>-ca.crt`. */
  private storageFiles({ role, prop, binding }: BoundStorage, files: Record<string, string>): void {
    // lib.sh reads the env file line by line: a value with a line break would add a setting.
    for (const [k, v] of Object.entries(binding.env)) {
      checkSingleLine(this, `${prop} setting ${k}`, v);
    }
    // The encryption key's file: its path is not secret, its content stays in the Secret.
    const keyPaths = Object.entries(binding.encryption?.pathEnv ?? {}).map(([k, file]) => [k, `${PATHS.secrets}/${role}-encryption/${file}`]);
    files[`${role}.env`] = [...Object.entries(binding.env), ...keyPaths].map(([k, v]) => `${k}=${v}`).join('\n') + '\n';
    if (binding.caCertificate) {
      files[`${role}-ca.crt`] = binding.caCertificate.endsWith('\n') ? binding.caCertificate : `${binding.caCertificate}\n`;
    }
  }

  /** A pod has one service account: the storages that need one must agree. */
  private serviceAccount({ prop, binding }: BoundStorage, other: string | undefined): string | undefined {
    const name = binding.credentials?.serviceAccountName;
    if (!name) {
      return other;
    }
    if (other && other !== name) {
      invalid(this, `${prop}.credentials`, name, `a pod has one service account, and the other storage uses "${other}"; use the same one`);
    }
    return name;
  }

  /**
   * A Local storage's volume and mount. Two Local storages on one mount path share it when they are
   * the same volume; a restore source is mounted read-only unless the onward archive shares it.
   */
  private mountLocal({ role, prop, binding }: BoundStorage, local: LocalMount[], mounts: Mounts): void {
    if (!binding.volume || !binding.mountPath) {
      return;
    }
    const same = local.find((m) => m.mountPath === binding.mountPath);
    if (same && JSON.stringify({ ...same.volume, name: '' }) !== JSON.stringify({ ...binding.volume, name: '' })) {
      invalid(this, `${prop}.mountPath`, binding.mountPath, 'expected a mount path that the other Local storage (another volume) does not use');
    }
    const name = same?.name ?? `${role}-local`;
    if (!same) {
      // Any volume source cdk8s-plus renders (Volume._toKube()), named as in the API by cdk8s-plus's own conversion.
      mounts.volumes.push({ ...k8s.toJson_Volume(binding.volume), name });
      mounts.mounts.push({ name, mountPath: binding.mountPath, readOnly: role === 'restore' ? true : undefined });
      local.push({ mountPath: binding.mountPath, volume: binding.volume, name });
    } else if (role === 'archive') {
      const i = mounts.mounts.findIndex((m) => m.name === name);
      mounts.mounts[i] = { name, mountPath: binding.mountPath };
    }
    if (role === 'archive') {
      mounts.sidecarMounts.push({ name, mountPath: binding.mountPath });
    }
  }

  /** One archive per cluster in an app: two clusters must not archive to one location. */
  private claimArchive(p: InstancePlan, storages: BoundStorage[], env: PodEnv): void {
    const archive = p.archive;
    if (!archive) {
      return;
    }
    if (archive.options.baseBackupTimeout !== undefined) {
      env.PG_WALG_BACKUP_PUSH_TIMEOUT = String(seconds(this, 'baseBackupTimeout', archive.options.baseBackupTimeout, 86400));
    }
    const allowNonEmpty = optionalBoolean(this, 'allowNonEmptyArchive', archive.options.allowNonEmptyArchive);
    if (allowNonEmpty !== undefined) {
      env.PG_WALG_ALLOW_NONEMPTY_ARCHIVE = String(allowNonEmpty);
    }
    const root = this.node.root;
    const seen = ARCHIVES.get(root) ?? new Map<string, string>();
    ARCHIVES.set(root, seen);
    const identity = storages[storages.length - 1].binding.identity;
    const other = seen.get(identity);
    if (other && !allowNonEmpty) {
      invalid(this, archive.prop, archive.storage.location, `${other} already archives there; two clusters in one archive mix their WAL histories, so give each its own prefix`);
    }
    seen.set(identity, this.node.path);
  }

  /** The recovery settings and the base backup to fetch. */
  private restoreSettings(p: InstancePlan, files: Record<string, string>, env: PodEnv): void {
    const restore = p.restore;
    if (!restore) {
      return;
    }
    const rec = renderRecovery(this, p.version, restore.target);
    files[RECOVERY_SETTINGS_KEY] = rec.conf;
    env.PG_WALG_RECOVERY_STYLE = recoveryStyle(p.version);
    if (restore.backupName !== undefined) {
      const expected = 'expected "LATEST" or a WAL-G backup name such as "base_000000010000000000000002" (see wal-g backup-list)';
      const b = requireString(this, 'backupName', restore.backupName, expected);
      if (!/^(LATEST|base_[0-9A-F]{24}(_D_[0-9A-F]{24})?)$/.test(b)) {
        invalid(this, 'backupName', b, expected);
      }
      if (b !== 'LATEST') {
        env.PG_WALG_BACKUP_NAME = b;
      }
    }
    if (restore.fetchTimeout !== undefined) {
      env.PG_WALG_BACKUP_FETCH_TIMEOUT = String(seconds(this, 'baseBackupFetchTimeout', restore.fetchTimeout, 86400));
    }
    // A named backup is checked against a time target too: by the finish time WAL-G recorded in each
    // backup where its backup-list has --detail (a copied archive keeps it), else by the storage's
    // modification time (a copied archive shows the copy time).
    if (rec.targetTimeUtc) {
      env.PG_WALG_TARGET_TIME_UTC = rec.targetTimeUtc;
      env.PG_WALG_LIST_DETAIL = hasWalgFeature(p.version, 'backupListDetail') ? 'on' : 'off';
      env.PG_WALG_WALG_VERSION = p.version.walgVersion;
    }
  }

  /** The superuser password's Secret: created when the password is given in code. */
  private passwordSecret(given: SuperuserPassword | undefined, labels: Labels): PasswordSecret {
    const password = given ?? SuperuserPassword.fromSecret(`${this.name}-auth`);
    return this.secretOf({ prop: 'superuserPassword', cls: 'SuperuserPassword', suffix: 'auth', id: 'AuthSecret', password }, labels);
  }

  /**
   * A password's Secret (a SuperuserPassword or a ReplicationPassword): checked, and created as
   * `<name>-<suffix>` when the password is given in code.
   */
  private secretOf(w: PasswordOption & { password: SuperuserPassword | ReplicationPassword }, labels: Labels): PasswordSecret {
    const expected = `${w.cls}.fromSecret() or .fromValue()`;
    const spec = checkCredentialSpec(this, w.prop, w.password, expected);
    // One class for the other (from JavaScript, or through a cast) would mount one password as the other.
    if (!spec.kind.startsWith(`${w.cls}.`)) {
      invalid(this, w.prop, spec.kind, `expected ${expected}`);
    }
    const secretName = spec.secretName ?? `${this.name}-${w.suffix}`;
    const key = checkSecretKey(this, `${w.prop} key`, w.password._key);
    if (spec.secretData) {
      new ApiObject(this, w.id, {
        apiVersion: 'v1', kind: 'Secret', metadata: { name: secretName, labels: labels.all }, type: 'Opaque', stringData: spec.secretData,
      });
    }
    return { secretName, key };
  }

  /**
   * The replication role's password (replicas > 1): its Secret, created when the password is given in
   * code, mounted read-only on the postgres container of every member (not on the sidecar) as
   * PG_WALG_SECRETS/replication/REPLICATION_PASSWORD. Refused with one instance, where nothing streams.
   */
  private replicationSecret(given: ReplicationPassword | undefined, members: Members, labels: Labels, mounts: Mounts): void {
    const w: PasswordOption = { prop: 'replicationPassword', cls: 'ReplicationPassword', suffix: 'replication', id: 'ReplicationSecret' };
    if (members.replicas === 1) {
      if (given !== undefined) {
        invalid(this, w.prop, checkCredentialSpec(this, w.prop, given, 'ReplicationPassword.fromSecret() or .fromValue()').kind,
          'expected no replicationPassword with replicas 1: only hot standbys stream with it; set replicas to 2 or more, or leave it out');
      }
      return;
    }
    const secret = this.secretOf({ ...w, password: given ?? ReplicationPassword.fromSecret(`${this.name}-replication`) }, labels);
    mounts.volumes.push({ name: 'replication', secret: { secretName: secret.secretName, defaultMode: 0o440, items: [{ key: secret.key, path: 'REPLICATION_PASSWORD' }] } });
    mounts.mounts.push({ name: 'replication', mountPath: `${PATHS.secrets}/replication`, readOnly: true });
  }

  /** The volumes every pod has, and their mounts: before the storages' own. */
  private podVolumes(password: PasswordSecret, mounts: Mounts): void {
    mounts.volumes.push(
      { name: 'config', configMap: { name: this.configMapName, defaultMode: 0o444 } },
      { name: 'auth', secret: { secretName: password.secretName, defaultMode: 0o440, items: [{ key: password.key, path: 'POSTGRES_PASSWORD' }] } },
      { name: 'run', emptyDir: {} },
      { name: 'tmp', emptyDir: {} },
      { name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '256Mi' } },
    );
    const common: k8s.VolumeMount[] = [
      { name: 'data', mountPath: PATHS.dataMount },
      { name: 'config', mountPath: PATHS.config, readOnly: true },
      { name: 'run', mountPath: PATHS.run },
      { name: 'tmp', mountPath: PATHS.tmp },
    ];
    mounts.mounts.unshift(...common, { name: 'auth', mountPath: `${PATHS.secrets}/auth`, readOnly: true }, { name: 'shm', mountPath: PATHS.shm });
    mounts.sidecarMounts.unshift(...common);
  }

  /** The storages' credentials: a Secret for values given in code, mounted under PG_WALG_SECRETS/<role>. */
  private credentialSecrets(storages: BoundStorage[], labels: Labels, mounts: Mounts): void {
    for (const { role, binding } of storages) {
      const cred: CredentialSpec | undefined = binding.credentials;
      if (!cred || !(cred.secretName || cred.secretData)) {
        continue;
      }
      let secretName = cred.secretName;
      if (!secretName) {
        secretName = `${this.name}-${role}-credentials`;
        new ApiObject(this, role === 'archive' ? 'ArchiveCredentials' : 'RestoreCredentials', {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: secretName, labels: labels.all },
          type: 'Opaque',
          stringData: cred.secretData,
        });
      }
      mounts.volumes.push({ name: `${role}-credentials`, secret: { secretName, defaultMode: 0o440 } });
      const m = { name: `${role}-credentials`, mountPath: `${PATHS.secrets}/${role}`, readOnly: true };
      mounts.mounts.push(m);
      if (role === 'archive') mounts.sidecarMounts.push(m);
    }
  }

  /**
   * The storages' encryption keys: only the named keys of each Secret, read-only, under
   * PG_WALG_SECRETS/<role>-encryption. A key missing from the Secret keeps the pod from starting, and
   * the kubelet's event names it.
   */
  private encryptionSecrets(storages: BoundStorage[], mounts: Mounts): void {
    for (const { role, binding } of storages) {
      const enc = binding.encryption;
      if (!enc) {
        continue;
      }
      const name = `${role}-encryption`;
      const mountPath = `${PATHS.secrets}/${name}`;
      const volume = (volumeName: string, items: EncryptionMount['items']): VolumeManifest =>
        ({ name: volumeName, secret: { secretName: enc.secretName, defaultMode: 0o440, items: items.map((i) => ({ key: i.key, path: i.path })) } });
      // The archiving server only encrypts, which needs no passphrase: it is not mounted where the server
      // (and so a superuser's pg_read_file) could read it. The sidecar decrypts the newest segment to check
      // it, so it gets the passphrase, in its own container.
      const serverItems = role === 'archive' ? enc.items.filter((i) => i.path !== ENCRYPTION_FILES.pgpPassphrase) : enc.items;
      mounts.volumes.push(volume(name, serverItems));
      mounts.mounts.push({ name, mountPath, readOnly: true });
      if (role !== 'archive') {
        continue;
      }
      if (serverItems.length === enc.items.length) {
        mounts.sidecarMounts.push({ name, mountPath, readOnly: true });
      } else {
        mounts.volumes.push(volume(`${name}-check`, enc.items));
        mounts.sidecarMounts.push({ name: `${name}-check`, mountPath, readOnly: true });
      }
    }
  }

  /**
   * For a database image without wal-g (the version names a `walgImage`): an init container that copies
   * the binary into an emptyDir, mounted read-only on the postgres and sidecar containers, whose
   * scripts put it first on the PATH. No network at start-up, the root filesystems stay read-only.
   */
  private walgInstall(version: PostgresVersion, pod: PodSettings, env: PodEnv, mounts: Mounts): ContainerManifest[] {
    if (version.walgImage === undefined) {
      return [];
    }
    mounts.volumes.push({ name: 'walg', emptyDir: { sizeLimit: '512Mi' } });
    const m = { name: 'walg', mountPath: PATHS.walg, readOnly: true };
    mounts.mounts.push(m);
    mounts.sidecarMounts.push(m);
    env.PG_WALG_WALG_DIR = PATHS.walg;
    return [{
      name: 'walg-install',
      image: version.walgImage,
      imagePullPolicy: pod.pullPolicy,
      command: ['cp', version.walgBinaryPath ?? WALG_IMAGE.binaryPath, `${PATHS.walg}/wal-g`],
      resources: {
        requests: { 'cpu': '10m', 'memory': '32Mi', 'ephemeral-storage': '16Mi' },
        limits: { 'cpu': '500m', 'memory': '256Mi', 'ephemeral-storage': '64Mi' },
      },
      securityContext: containerSecurity(version),
      volumeMounts: [{ name: 'walg', mountPath: PATHS.walg }],
    }];
  }

  /**
   * A member's environment (replicas > 1): what it is made at its first start, the role standbys stream
   * as, the recovery style of the major (a standby's recovery.conf or standby.signal; every member, since
   * any may become a standby), and for a standby the primary's pod to stream from, through the headless
   * Service.
   */
  private memberEnv(p: InstancePlan, env: PodEnv, members: Members, i: number): PodEnv {
    if (members.replicas === 1) {
      return env;
    }
    const style = recoveryStyle(p.version);
    if (i === members.primary) {
      return { ...env, PG_WALG_ROLE: 'primary', PG_WALG_REPLICATION_USER: REPLICATION_USER, PG_WALG_RECOVERY_STYLE: style };
    }
    const primaryHost = `${members.names[members.primary]}-0.${members.headless}`;
    return { ...env, PG_WALG_ROLE: 'standby', PG_WALG_PRIMARY_HOST: primaryHost, PG_WALG_REPLICATION_USER: REPLICATION_USER, PG_WALG_RECOVERY_STYLE: style };
  }

  /**
   * A member's postgres container and, on the primary of an archiving instance, the walg-backup sidecar
   * (the archiving checks, and the scheduled base backups unless a standby takes them); with
   * baseBackupsFromStandby, the standby that takes them gets one too.
   */
  private containers(
    p: InstancePlan, pod: PodSettings, env: PodEnv, mounts: Mounts, members: Members, i: number, metrics: MetricsPlan | undefined,
  ): ContainerManifest[] {
    const securityContext = containerSecurity(p.version);
    const containers: ContainerManifest[] = [{
      name: 'postgres',
      image: p.version.image,
      imagePullPolicy: pod.pullPolicy,
      command: ['/bin/sh', `${PATHS.config}/bootstrap.sh`],
      env: toEnv(env),
      ports: [{ name: 'postgres', containerPort: PORT, protocol: 'TCP' }],
      // Over TCP: the bootstrap's temporary servers listen on the socket only, so the pod turns
      // ready once the real server is up (after a restore has promoted and the first backup is in).
      readinessProbe: {
        exec: { command: ['pg_isready', '-h', '127.0.0.1', '-p', String(PORT)] },
        periodSeconds: 10,
        timeoutSeconds: 5,
        failureThreshold: 3,
      },
      resources: pod.resources,
      securityContext,
      volumeMounts: mounts.mounts,
    }];
    if (p.archive && (i === members.primary || i === members.backups)) {
      containers.push(this.backupSidecar(p.archive.options, p.version, pod, env, mounts.sidecarMounts, members.backups !== members.primary));
    }
    if (metrics) {
      const mount = (name: string, mountPath: string, readOnly?: boolean) => ({ name, mountPath, readOnly });
      containers.push(exporterContainer(metrics, pod.pullPolicy, securityContext, mount('config', PATHS.config, true), mount('run', PATHS.run)) as ContainerManifest);
    }
    return containers;
  }

  /**
   * The walg-backup sidecar: the archiving checks (the primary's), scheduled base backups and retention
   * (fromStandby: the standby's sidecar pushes them, the primary's checks only).
   */
  private backupSidecar(
    options: ArchivingOptions, version: PostgresVersion, pod: PodSettings, env: PodEnv, volumeMounts: k8s.VolumeMount[], fromStandby: boolean,
  ): ContainerManifest {
    const interval = seconds(this, 'baseBackupInterval', options.baseBackupInterval, 86400);
    const sidecarEnv: PodEnv = { ...env, PG_WALG_BACKUP_INTERVAL_SECONDS: String(interval) };
    if (fromStandby) {
      sidecarEnv.PG_WALG_BASE_BACKUPS_FROM = 'standby';
    }
    Object.assign(sidecarEnv, this.retention(options, version, interval), walVerifyEnv(this, options, version));
    if (options.deltaMaxSteps !== undefined) {
      const steps = checkPositiveInteger(this, 'deltaMaxSteps', options.deltaMaxSteps, 1000);
      requireWalgFeature(this, 'deltaMaxSteps', steps, version, 'deltaBackups');
      sidecarEnv.PG_WALG_DELTA_MAX_STEPS = String(steps);
    }
    return {
      name: 'walg-backup',
      image: version.image,
      imagePullPolicy: pod.pullPolicy,
      command: ['/bin/sh', `${PATHS.config}/backup.sh`],
      env: toEnv(sidecarEnv),
      resources: {
        requests: { 'cpu': '50m', 'memory': '64Mi', 'ephemeral-storage': '64Mi' },
        limits: { 'cpu': '1', 'memory': '512Mi', 'ephemeral-storage': '1Gi' },
      },
      securityContext: containerSecurity(version),
      volumeMounts,
    };
  }

  /**
   * The sidecar's retention settings: the full backups kept (retainBaseBackups) and, with retainFor, the
   * window in seconds and how the sidecar learns the backups' finish times.
   */
  private retention(options: ArchivingOptions, version: PostgresVersion, interval: number): PodEnv {
    if (options.retainFor === undefined) {
      const retain = options.retainBaseBackups === undefined ? 7 : checkNonNegativeInteger(this, 'retainBaseBackups', options.retainBaseBackups);
      return { PG_WALG_RETAIN_FULL: String(retain) };
    }
    const window = checkWholeSeconds(this, 'retainFor', options.retainFor, 'expected a Duration such as Duration.days(14)',
      `expected a whole number of seconds, at least baseBackupInterval (${interval} s)`);
    if (window < interval) {
      invalid(this, 'retainFor', options.retainFor, `expected at least baseBackupInterval (${interval} s): retention runs after each scheduled backup, ` +
        'and the backup before it finished before any shorter window began, so a shorter window keeps the same backups');
    }
    let retain = 1;
    if (options.retainBaseBackups !== undefined) {
      retain = checkNonNegativeInteger(this, 'retainBaseBackups', options.retainBaseBackups);
      if (retain === 0) {
        invalid(this, 'retainBaseBackups', 0, 'expected at least 1 with retainFor: 0 keeps every backup, so retainFor would delete nothing (leave retainBaseBackups out to keep at least the newest full backup)');
      }
    }
    return {
      PG_WALG_RETAIN_FULL: String(retain),
      PG_WALG_RETAIN_SECONDS: String(window),
      PG_WALG_LIST_DETAIL: hasWalgFeature(version, 'backupListDetail') ? 'on' : 'off',
      PG_WALG_WALG_VERSION: version.walgVersion,
    };
  }

  /**
   * The headless Service that governs the StatefulSets (it selects every member, ready or not: a standby
   * reaches the primary by its pod's name before either is ready), the client Service (its type,
   * annotations and source ranges from the options; with replicas, it selects the primary only) and, with
   * replicas, the read-only Service; returns the first's name, the second, and the third's name.
   */
  private services(
    labels: Labels, client: ClientService, members: Members, metrics: MetricsPlan | undefined,
  ): { headless: string; client: ApiObject; readOnly?: string } {
    const headlessServiceName = members.headless;
    const ports = [{ name: 'postgres', port: PORT, targetPort: 'postgres' }];
    // With metrics, the headless Service (every member) also names the exporter's port, which a ServiceMonitor scrapes.
    const headlessPorts = metrics ? [...ports, { name: 'metrics', port: METRICS_PORT, targetPort: 'metrics' }] : ports;
    new ApiObject(this, 'HeadlessService', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: headlessServiceName, labels: labels.all },
      spec: { clusterIP: 'None', selector: labels.selector, ports: headlessPorts, publishNotReadyAddresses: true },
    });
    const clientService = new ApiObject(this, 'Service', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: this.name, labels: labels.all, annotations: client.annotations },
      spec: {
        type: client.type,
        selector: members.replicas === 1 ? labels.selector : { ...labels.selector, [ROLE_LABEL]: 'primary' },
        ports,
        externalTrafficPolicy: client.externalTrafficPolicy,
        loadBalancerSourceRanges: client.loadBalancerSourceRanges,
      },
    });
    return { headless: headlessServiceName, client: clientService, readOnly: this.readOnlyService(labels, members, ports) };
  }

  /**
   * With replicas, the read-only Service `<name>-ro` (ClusterIP): the standbys, for reads. A standby
   * that is not ready (still catching up from the archive) takes no connections; the client Service's
   * type and annotations are not copied to it.
   */
  private readOnlyService(labels: Labels, members: Members, ports: ReadonlyArray<Record<string, unknown>>): string | undefined {
    if (members.replicas === 1) {
      return undefined;
    }
    const name = `${this.name}-ro`;
    new ApiObject(this, 'ReadOnlyService', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, labels: labels.all },
      spec: { type: 'ClusterIP', selector: { ...labels.selector, [ROLE_LABEL]: 'standby' }, ports },
    });
    return name;
  }

  /**
   * With replicas, a PodDisruptionBudget over every member: a node drain (or another voluntary eviction)
   * takes down one member at a time. A member that is running but not ready (a standby catching up from the
   * archive, a primary restoring) is evicted only while the others are healthy (IfHealthyBudget, explicit:
   * AlwaysAllow would let a drain take it with another member down).
   */
  private disruptionBudget(labels: Labels, members: Members): void {
    if (members.replicas === 1) {
      return;
    }
    new ApiObject(this, 'PodDisruptionBudget', {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: this.name, labels: labels.all },
      spec: { maxUnavailable: 1, selector: { matchLabels: labels.selector }, unhealthyPodEvictionPolicy: 'IfHealthyBudget' },
    });
  }

  /** The pod's selector labels, in the chart's namespace when it has one (a peer in another namespace needs it). */
  private podSelector(labels: Labels, namespace: string | undefined): Pods {
    const namespaces = namespace === undefined ? undefined : Namespaces.select(this, 'PodsNamespace', { names: [namespace] });
    return Pods.select(this, 'Pods', { labels: labels.selector, namespaces });
  }

  /**
   * The NetworkPolicy, when the options ask for one: PostgreSQL admits the instance's own pods and the
   * clients named, egress stays open. Returns its name.
   */
  private networkPolicy(labels: Labels, o: PostgresInstanceOptions, metrics: MetricsPlan | undefined): string | undefined {
    const ports = metrics ? [PORT, METRICS_PORT] : [PORT];
    return addNetworkPolicy(this, { name: `${this.name}-postgres`, labels: labels.all, selector: labels.selector, ports }, o.networkPolicy);
  }

  /** The `metrics` option, checked, and the exporter's queries in the ConfigMap. */
  private metricsFiles(o: PostgresInstanceOptions, p: InstancePlan, files: Record<string, string>): MetricsPlan | undefined {
    const metrics = checkMetrics(this, o.metrics, p.version);
    if (metrics) {
      files[METRICS_QUERIES_KEY] = renderMetricsQueries(p.version);
    }
    return metrics;
  }

  /** With `metrics`, the ServiceMonitor and the PrometheusRule it asks for (with the restore drill's alerts). */
  private monitoring(
    metrics: MetricsPlan | undefined, p: InstancePlan, labels: Labels, namespace: string | undefined, headlessService: string,
    drill: RestoreDrill | undefined,
  ): void {
    if (!metrics) {
      return;
    }
    const backupInterval = p.archive ? seconds(this, 'baseBackupInterval', p.archive.options.baseBackupInterval, 86400) : undefined;
    const verify = p.archive ? walVerifyEnv(this, p.archive.options, p.version).PG_WALG_WAL_VERIFY_SECONDS : undefined;
    const target = {
      name: this.name,
      namespace,
      labels: labels.all,
      selector: labels.selector,
      headlessService,
      backupInterval,
      drill,
      walVerifyInterval: verify === undefined ? undefined : Number(verify),
    };
    addMonitoring(this, metrics, target);
  }

  /**
   * With `restoreDrill` (of an archive), the CronJob that restores the archive into a scratch volume, built from
   * the parts of the database's pod: its image and init container, security contexts, ConfigMap, and the archive's
   * mounts as the walg-backup sidecar has them (read-only in the drill).
   */
  private restoreDrill(
    p: InstancePlan, pod: PodSettings, labels: Labels, env: PodEnv, mounts: Mounts,
    initContainers: ContainerManifest[], scheduling: PodScheduling, identity: PodIdentity,
  ): RestoreDrill | undefined {
    const given = p.archive?.options.restoreDrill;
    if (given === undefined) {
      return undefined;
    }
    const { requests, limits } = pod.resources;
    return addRestoreDrill(this, given, {
      name: this.name,
      labels: labels.all,
      version: p.version,
      storageSize: pod.storageSize,
      resources: { requests: { cpu: requests.cpu, memory: requests.memory }, limits: { cpu: limits.cpu, memory: limits.memory } },
      pullPolicy: pod.pullPolicy,
      env,
      archiveMounts: mounts.sidecarMounts,
      volumes: mounts.volumes,
      initContainers,
      podSecurityContext: podSecurity(p.version),
      containerSecurityContext: containerSecurity(p.version),
      scheduling,
      serviceAccountName: identity.serviceAccountName,
      identityLabels: identity.labels,
    });
  }

  /** The service account of the storages' keyless identity, and the labels it needs on the pod (Azure's webhook mutates only labelled pods). */
  private podIdentity(storages: BoundStorage[], labels: Labels): PodIdentity {
    const serviceAccountName = storages.map((s) => s.binding.credentials?.serviceAccountName).find((n) => n);
    const identityLabels: Record<string, string> = Object.assign({}, ...storages.map((s) => s.binding.credentials?.podLabels ?? {}));
    for (const [k, v] of Object.entries(identityLabels)) {
      if (labels.all[k] !== undefined && labels.all[k] !== v) {
        invalid(this, `labels.${k}`, labels.all[k], `expected "${v}" or no such label: the storage's keyless identity needs it on the pod`);
      }
    }
    return { serviceAccountName, labels: identityLabels };
  }

  /**
   * Member i's StatefulSet: one pod, PGDATA on a volume claim template. With replicas, the pod is labelled
   * with its member number and role; member i ≥ 1 selects its own pods by its number (member 0 keeps the
   * selector of a single instance: a StatefulSet's selector cannot change).
   */
  private statefulSetOf(version: PostgresVersion, pod: PodSettings, labels: Labels, members: Members, i: number, c: PodParts): ApiObject {
    const selector = i === 0 ? labels.selector : { ...labels.selector, [MEMBER_LABEL]: String(i) };
    const memberLabels = members.replicas === 1 ? {} : { [MEMBER_LABEL]: String(i), [ROLE_LABEL]: i === members.primary ? 'primary' : 'standby' };
    return new ApiObject(this, i === 0 ? 'StatefulSet' : `StatefulSet${i}`, {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: members.names[i], labels: labels.all },
      spec: {
        serviceName: members.headless,
        replicas: 1,
        selector: { matchLabels: selector },
        podManagementPolicy: 'OrderedReady',
        updateStrategy: { type: 'RollingUpdate' },
        template: {
          metadata: { labels: { ...labels.all, ...c.identity.labels, ...memberLabels }, annotations: c.annotations },
          spec: {
            ...schedulingManifest(c.scheduling),
            automountServiceAccountToken: false,
            serviceAccountName: c.identity.serviceAccountName,
            enableServiceLinks: false,
            terminationGracePeriodSeconds: 60,
            securityContext: podSecurity(version),
            initContainers: c.initContainers.length > 0 ? c.initContainers : undefined,
            containers: c.containers,
            volumes: c.volumes,
          },
        },
        volumeClaimTemplates: [{
          // Only the selector's labels: a StatefulSet's claim templates cannot change once applied, and
          // the version label (or a label added later) would make every upgrade's apply fail.
          metadata: { name: 'data', labels: selector },
          spec: {
            accessModes: ['ReadWriteOnce'],
            storageClassName: pod.storageClassName,
            resources: { requests: { storage: pod.storageSize } },
          },
        }],
      },
    });
  }
}

/** A Service's host name: `<service>.<namespace>.svc` with a namespace (it resolves from any namespace), else `<service>`. */
function hostOf(service: string, namespace: string | undefined): string {
  return namespace === undefined ? service : `${service}.${namespace}.svc`;
}

/** The volumes a member's containers mount: a standby has no sidecar, and so none of the sidecar's own volumes. */
function usedVolumes(volumes: VolumeManifest[], initContainers: ContainerManifest[], containers: ContainerManifest[]): VolumeManifest[] {
  const used = new Set([...initContainers, ...containers].flatMap((c) => (c.volumeMounts ?? []).map((m) => m.name)));
  return volumes.filter((v) => used.has(v.name));
}

/** A database name for libpq: one line, at most 63 bytes (PostgreSQL truncates longer identifiers). */
function checkDatabaseName(scope: IConstruct, value: unknown): string {
  const expected = 'expected a PostgreSQL database name such as "orders": one line, 1 to 63 bytes';
  const name = requireString(scope, 'connectionEnv database', value, expected);
  if (Buffer.byteLength(name, 'utf8') > 63 || /[\r\n\0]/.test(name)) {
    invalid(scope, 'connectionEnv database', name, expected);
  }
  return name;
}

/**
 * The pod spec's fields from the scheduling options, named as in the API: the k8s structs the user gave
 * (checked field by field in _pod-options.ts) through cdk8s-plus's own conversions.
 */
function schedulingManifest(s: PodScheduling): Record<string, unknown> {
  return {
    nodeSelector: s.nodeSelector,
    tolerations: s.tolerations?.map((t) => k8s.toJson_Toleration(t)),
    affinity: k8s.toJson_Affinity(s.affinity),
    topologySpreadConstraints: s.topologySpreadConstraints?.map((t) => k8s.toJson_TopologySpreadConstraint(t)),
    priorityClassName: s.priorityClassName,
    imagePullSecrets: s.imagePullSecrets?.map((r) => k8s.toJson_LocalObjectReference(r)),
  };
}

/** The pod's security context: Pod Security Standard "restricted", the image's user, its volumes owned by it. */
function podSecurity(version: PostgresVersion): k8s.PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: version.uid,
    runAsGroup: version.uid,
    fsGroup: version.uid,
    fsGroupChangePolicy: 'OnRootMismatch',
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** Every container's security context: Pod Security Standard "restricted". */
function containerSecurity(version: PostgresVersion): k8s.SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    runAsUser: version.uid,
    runAsGroup: version.uid,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}
