// The restore drill of an archiving instance (the `restoreDrill` option): a CronJob whose Job restores the
// archive's newest base backup and its WAL into a scratch volume, checks the restored server and reports
// (src/scripts/drill.sh). Its pod is built from the same parts as the database's (image, init container,
// security contexts, ConfigMap, the archive's Secrets), and touches neither the live database nor the archive.
import { ApiObject, Cron, Size, SizeRoundingBehavior } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { recoveryStyle } from './_capabilities';
import { checkKnownProps, NESTED_PROPS } from './_known-props';
import { PATHS, PodEnv, RECOVERY_SETTINGS_KEY } from './_pod-contract';
import { checkResources, CheckedResources, PodScheduling } from './_pod-options';
import { renderRecovery } from './_recovery';
import { checkDnsSubdomain, checkWholeSeconds, invalid, quantityBytes, show } from './_validation';
import { PostgresVersion } from './postgres-version';
import { RestoreDrillOptions } from './restore-drill-options';

/** The suffix of the CronJob's (and the drill's ConfigMap's) name. */
export const DRILL_SUFFIX = '-restore-drill';
/** Kubernetes refuses a CronJob name longer than this: it appends 11 characters to name each Job. */
const MAX_CRONJOB_NAME = 52;
/** The longest instance name with a restore drill. */
export const MAX_DRILL_INSTANCE_NAME = MAX_CRONJOB_NAME - DRILL_SUFFIX.length;
/** The drill's ConfigMap key of the check query. */
export const CHECK_QUERY_KEY = 'check.sql';
/** The check unless `checkQuery` says otherwise: the restored server starts and answers. */
const DEFAULT_CHECK = 'SELECT 1';
/** The longest check query taken (a ConfigMap holds at most 1 MiB in all). */
const MAX_CHECK_BYTES = 64 * 1024;
/** The smallest scratch volume: a base backup of an empty cluster and a few WAL segments. */
const MIN_SCRATCH_BYTES = 1024 ** 3;
/** The drill's time bound unless `timeout` says otherwise: 6 hours. */
const DEFAULT_TIMEOUT_SECONDS = 6 * 3600;
/** The container's own disk besides the scratch volume: /tmp, the socket directory, its log. */
const OWN_DISK = { request: 128, limit: 2048 };
/** A time zone name as Kubernetes takes it (the IANA database's names: "Europe/Berlin", "Etc/UTC", "UTC"). */
const TIME_ZONE = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/;

/** A container as the manifest holds it (resources as strings). */
type Container = Omit<k8s.Container, 'resources'> & { readonly resources: Record<string, Record<string, string>> };

/** What the instance gives the drill: its name, labels and the parts of its pod the drill's pod reuses. */
export interface DrillPlan {
  /** The instance's name. */
  readonly name: string;
  /** The labels of the instance's objects (the drill's objects take them, with their own name and component). */
  readonly labels: Record<string, string>;
  readonly version: PostgresVersion;
  /** The instance's data volume size (Kubernetes quantity): the scratch volume's default. */
  readonly storageSize: string;
  /** The postgres container's CPU and memory: the drill's defaults. */
  readonly resources: CheckedResources;
  readonly pullPolicy: string;
  /** The postgres container's environment (the drill takes what it reads of it). */
  readonly env: PodEnv;
  /** The walg-backup sidecar's mounts: the ConfigMap, the archive's storage, credentials and encryption, wal-g. */
  readonly archiveMounts: k8s.VolumeMount[];
  /** The instance pod's volumes (the drill takes those it mounts). */
  readonly volumes: ReadonlyArray<{ readonly name: string }>;
  /** The `walg-install` init container of a database image without wal-g (empty otherwise). */
  readonly initContainers: object[];
  readonly podSecurityContext: object;
  readonly containerSecurityContext: object;
  readonly scheduling: PodScheduling;
  /** The storages' keyless identity: the service account, and the labels it needs on the pod. */
  readonly serviceAccountName?: string;
  readonly identityLabels: Record<string, string>;
}

/** The env names the drill reads of the postgres container's (the rest is the database's or the restore's). */
const DRILL_ENV: ReadonlyArray<keyof PodEnv> = [
  'PGDATA', 'PGHOST', 'PGPORT', 'PGUSER', 'HOME', 'PG_WALG_CONFIG', 'PG_WALG_SECRETS', 'PG_WALG_STATE', 'PG_WALG_PG_MAJOR',
  'PG_WALG_ATTEMPTS', 'PG_WALG_RETRY_SECONDS', 'PG_WALG_FETCH_NOT_FOUND_EXIT', 'PG_WALG_WALG_DIR',
];
/** The drill's own volumes, writable: the scratch PGDATA and state, the socket directory, /tmp, /dev/shm. */
const WRITABLE = new Set(['data', 'run', 'tmp', 'shm']);

/**
 * The CronJob `<name>-restore-drill` and the drill's ConfigMap of the same name (its recovery settings and
 * check query: a change to them never rolls the database's pod), when `restoreDrill` is set. Returns the
 * CronJob's name.
 */
export function addRestoreDrill(scope: IConstruct, given: RestoreDrillOptions | undefined, plan: DrillPlan): RestoreDrill | undefined {
  if (given === undefined) {
    return undefined;
  }
  const o = checkDrillOptions(scope, given, plan);
  checkArchiveReachable(scope, plan);
  const name = `${plan.name}${DRILL_SUFFIX}`;
  if (name.length > MAX_CRONJOB_NAME) {
    invalid(scope, 'name', plan.name, `expected at most ${MAX_DRILL_INSTANCE_NAME} characters with restoreDrill: its CronJob "${name}" would have ${name.length}, `
      + `and Kubernetes takes at most ${MAX_CRONJOB_NAME} for a CronJob's name (it appends 11 characters to name each Job); give the instance a shorter name`);
  }
  const labels = { ...plan.labels, 'app.kubernetes.io/name': 'postgres-restore-drill', 'app.kubernetes.io/component': 'restore-drill' };
  new ApiObject(scope, 'RestoreDrillConfig', {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, labels },
    data: {
      [RECOVERY_SETTINGS_KEY]: renderRecovery(scope, plan.version, undefined).conf,
      [CHECK_QUERY_KEY]: o.checkQuery.endsWith('\n') ? o.checkQuery : `${o.checkQuery}\n`,
    },
  });
  new ApiObject(scope, 'RestoreDrill', {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, labels },
    spec: {
      schedule: o.schedule,
      timeZone: o.timeZone,
      // A drill still running when the next is due keeps running; the next one is skipped, not queued.
      concurrencyPolicy: 'Forbid',
      // A drill missed by more than an hour (the controller was down) is skipped: the next one comes.
      startingDeadlineSeconds: 3600,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: {
        metadata: { labels },
        spec: {
          // One try: a failed drill is a finding, not something to retry until it passes.
          backoffLimit: 0,
          activeDeadlineSeconds: o.timeout,
          template: {
            metadata: { labels: { ...labels, ...plan.identityLabels } },
            spec: {
              restartPolicy: 'Never',
              nodeSelector: plan.scheduling.nodeSelector,
              tolerations: plan.scheduling.tolerations?.map((t) => k8s.toJson_Toleration(t)),
              imagePullSecrets: plan.scheduling.imagePullSecrets?.map((r) => k8s.toJson_LocalObjectReference(r)),
              automountServiceAccountToken: false,
              serviceAccountName: plan.serviceAccountName,
              enableServiceLinks: false,
              terminationGracePeriodSeconds: 30,
              securityContext: plan.podSecurityContext,
              initContainers: plan.initContainers.length > 0 ? plan.initContainers : undefined,
              containers: [drillContainer(plan, o)],
              volumes: drillVolumes(plan, o, name),
            },
          },
        },
      },
    },
  });
  return { cronJobName: name, timeoutSeconds: o.timeout };
}

/** The drill an instance has: for its alerts. */
export interface RestoreDrill {
  readonly cronJobName: string;
  /** The Job's activeDeadlineSeconds. */
  readonly timeoutSeconds: number;
}

/**
 * A Local archive on an emptyDir lives and dies with the database's pod: the drill's pod would get an empty
 * directory of its own, never the archive, and its drills would all fail. Refused; any other volume (a claim, NFS,
 * a hostPath on the same node) can be mounted by both pods.
 */
function checkArchiveReachable(scope: IConstruct, plan: DrillPlan): void {
  const used = new Set(plan.archiveMounts.map((m) => m.name));
  const local = plan.volumes.find((v) => used.has(v.name) && v.name.endsWith('-local') && (v as { emptyDir?: unknown }).emptyDir !== undefined);
  if (local) {
    invalid(scope, 'restoreDrill', `(a Local archive on the emptyDir volume ${local.name})`, 'expected an archive that the drill\'s pod can read: an emptyDir '
      + 'belongs to the database\'s pod, and the drill\'s pod would get an empty one of its own; put the archive on a PersistentVolumeClaim both pods can '
      + 'mount (ReadWriteMany), NFS, or an object store');
  }
}

/** The checked options. */
interface DrillSettings {
  readonly schedule: string;
  readonly timeZone?: string;
  readonly scratchMi: number;
  readonly scratchStorageClassName?: string;
  readonly checkQuery: string;
  readonly timeout: number;
  readonly resources: CheckedResources;
}

/** Checks `restoreDrill`, each error naming the property, the value and what is valid. */
function checkDrillOptions(scope: IConstruct, given: RestoreDrillOptions, plan: DrillPlan): DrillSettings {
  if (given === null || typeof given !== 'object' || Array.isArray(given)) {
    invalid(scope, 'restoreDrill', given, 'expected RestoreDrillOptions such as { schedule: Cron.schedule({ minute: "30", hour: "3", weekDay: "0" }) }');
  }
  checkKnownProps(scope, 'RestoreDrillOptions', given, NESTED_PROPS.restoreDrill);
  const schedule = checkSchedule(scope, given.schedule);
  let timeZone: string | undefined;
  if (given.timeZone !== undefined) {
    if (typeof given.timeZone !== 'string' || !TIME_ZONE.test(given.timeZone) || given.timeZone.length > 64) {
      invalid(scope, 'restoreDrill.timeZone', given.timeZone, 'expected an IANA time zone name such as "Europe/Berlin" or "Etc/UTC"');
    }
    timeZone = given.timeZone;
  }
  const scratchMi = checkScratchSize(scope, given.scratchSize, plan.storageSize);
  const scratchStorageClassName = given.scratchStorageClassName === undefined ? undefined
    : checkDnsSubdomain(scope, 'restoreDrill.scratchStorageClassName', given.scratchStorageClassName);
  const checkQuery = given.checkQuery === undefined ? DEFAULT_CHECK : checkCheckQuery(scope, given.checkQuery);
  const timeout = given.timeout === undefined ? DEFAULT_TIMEOUT_SECONDS
    : checkWholeSeconds(scope, 'restoreDrill.timeout', given.timeout, 'expected a Duration of whole seconds, at least 60, such as Duration.hours(6)');
  if (timeout < 60) {
    invalid(scope, 'restoreDrill.timeout', given.timeout, 'expected a Duration of whole seconds, at least 60, such as Duration.hours(6): a drill fetches a base backup and replays WAL');
  }
  const resources = checkResources(scope, 'restoreDrill.resources', given.resources, plan.resources);
  return { schedule, timeZone, scratchMi, scratchStorageClassName, checkQuery, timeout, resources };
}

/** A cdk8s Cron of five fields, without a time zone (that is `timeZone`: Kubernetes refuses TZ= in a schedule). */
function checkSchedule(scope: IConstruct, value: unknown): string {
  const expected = 'expected a cdk8s Cron such as Cron.schedule({ minute: "30", hour: "3", weekDay: "0" }) (03:30 every Sunday)';
  if (!(value instanceof Cron)) {
    invalid(scope, 'restoreDrill.schedule', value, expected);
  }
  const s = value.expressionString;
  if (typeof s !== 'string' || s.trim().split(/\s+/).length !== 5 || /TZ=|[\u0000-\u001f]/.test(s)) {
    invalid(scope, 'restoreDrill.schedule', s, `${expected}: five fields (minute, hour, day of month, month, day of week), the time zone in timeZone`);
  }
  return s.trim();
}

/** The scratch volume's size in MiB (rounded up): scratchSize, or the instance's storageSize; at least 1 GiB. */
function checkScratchSize(scope: IConstruct, value: unknown, storageSize: string): number {
  let bytes: number;
  if (value === undefined) {
    bytes = quantityBytes(storageSize);
    if (bytes < MIN_SCRATCH_BYTES) {
      invalid(scope, 'restoreDrill.scratchSize', `(the storageSize ${storageSize})`, 'expected at least 1 GiB: set restoreDrill.scratchSize, e.g. Size.gibibytes(10)');
    }
  } else {
    if (!(value instanceof Size)) {
      invalid(scope, 'restoreDrill.scratchSize', value, 'expected a cdk8s Size such as Size.gibibytes(20)');
    }
    bytes = value.toKibibytes({ rounding: SizeRoundingBehavior.NONE }) * 1024;
    if (!Number.isFinite(bytes) || bytes < MIN_SCRATCH_BYTES) {
      invalid(scope, 'restoreDrill.scratchSize', `${show(bytes / 1024 ** 2)} MiB`, 'expected at least 1 GiB, such as Size.gibibytes(20): room for the base backup restored and the WAL replayed');
    }
  }
  return Math.ceil(bytes / 1024 ** 2);
}

/** The check query: SQL text, not empty, no NUL byte, at most 64 KiB. */
function checkCheckQuery(scope: IConstruct, value: unknown): string {
  const expected = 'expected SQL such as "SELECT count(*) FROM orders": not empty, without a NUL byte, at most 64 KiB';
  if (typeof value !== 'string' || value.trim() === '' || value.includes('\0') || Buffer.byteLength(value, 'utf8') > MAX_CHECK_BYTES) {
    invalid(scope, 'restoreDrill.checkQuery', value, expected);
  }
  return value;
}

/** The drill's container: the database's image and security context, drill.sh, and the archive read-only. */
function drillContainer(plan: DrillPlan, o: DrillSettings): Container {
  const env: PodEnv = {};
  for (const k of DRILL_ENV) {
    if (plan.env[k] !== undefined) env[k] = plan.env[k];
  }
  // Never archives (drill.sh refuses to run otherwise), whatever the database does.
  env.PG_WALG_ARCHIVE = 'off';
  env.PG_WALG_RECOVERY_STYLE = recoveryStyle(plan.version);
  env.PG_WALG_DRILL_CONFIG = PATHS.drillConfig;
  // An emptyDir counts towards the pod's ephemeral storage: the container's limit must hold the scratch volume.
  const scratch = o.scratchStorageClassName === undefined ? o.scratchMi : 0;
  const mounts = plan.archiveMounts.map((m) => (WRITABLE.has(m.name) ? m : { ...m, readOnly: true }));
  return {
    name: 'restore-drill',
    image: plan.version.image,
    imagePullPolicy: plan.pullPolicy,
    command: ['/bin/sh', `${PATHS.config}/drill.sh`],
    env: Object.entries(env).map(([k, v]) => ({ name: k, value: v as string })),
    resources: {
      requests: { ...o.resources.requests, 'ephemeral-storage': `${scratch + OWN_DISK.request}Mi` },
      limits: { ...o.resources.limits, 'ephemeral-storage': `${scratch + OWN_DISK.limit}Mi` },
    },
    securityContext: plan.containerSecurityContext,
    volumeMounts: [...mounts, { name: 'shm', mountPath: PATHS.shm }, { name: 'drill', mountPath: PATHS.drillConfig, readOnly: true }],
  };
}

/** The drill pod's volumes: the scratch volume, the instance's volumes it mounts (and /dev/shm), its ConfigMap. */
function drillVolumes(plan: DrillPlan, o: DrillSettings, configMap: string): object[] {
  const used = new Set([...plan.archiveMounts.map((m) => m.name), 'shm']);
  const scratch = o.scratchStorageClassName === undefined
    ? { name: 'data', emptyDir: { sizeLimit: `${o.scratchMi}Mi` } }
    : {
      name: 'data',
      ephemeral: {
        volumeClaimTemplate: {
          metadata: { labels: { 'app.kubernetes.io/instance': plan.name, 'app.kubernetes.io/component': 'restore-drill' } },
          spec: { accessModes: ['ReadWriteOnce'], storageClassName: o.scratchStorageClassName, resources: { requests: { storage: `${o.scratchMi}Mi` } } },
        },
      },
    };
  return [
    scratch,
    ...plan.volumes.filter((v) => used.has(v.name) && v.name !== 'data'),
    { name: 'drill', configMap: { name: configMap, defaultMode: 0o444 } },
  ];
}
