import { ApiObject, Duration, Names } from 'cdk8s';
import { ImagePullPolicy, k8s } from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { CredentialSpec, checkCredentialSpec } from './_credential-spec';
import { confString, renderRecovery } from './_recovery';
import { SCRIPT_FILES, script } from './_scripts';
import { checkDnsLabel, checkDnsSubdomain, checkNonNegativeInteger, checkPositiveInteger, checkQuantity, checkSingleLine, invalid, requireString } from './_validation';
import { fetchNotFoundExit } from './_walg-capabilities';
import { ArchivingOptions, PostgresInstanceOptions } from './postgres-options';
import { PostgresVersion } from './postgres-version';
import { RecoveryTarget } from './recovery-target';
import { SuperuserPassword } from './superuser-password';
import { StorageBinding, WalStorage } from './wal-storage';

/** Container paths: the env names every one of them, so the scripts hard-code none. */
export const PATHS = {
  dataMount: '/var/pv',
  pgdata: '/var/pv/data',
  state: '/var/pv/pg-walg',
  config: '/etc/pg-walg/config',
  secrets: '/etc/pg-walg/secrets',
  run: '/var/run/postgresql',
  shm: '/dev/shm',
  tmp: '/tmp',
};
export const PORT = 5432;

/** Parameters the construct owns. */
const MANAGED_PARAMETERS = [
  'archive_mode', 'archive_command', 'archive_timeout', 'wal_level', 'restore_command', 'listen_addresses', 'port',
  'unix_socket_directories', 'hba_file', 'data_directory', 'config_file', 'include', 'include_if_exists', 'include_dir',
];

export interface WorkloadSpec {
  readonly kind: 'ArchivingPostgres' | 'WalRestoredPostgres';
  readonly version: PostgresVersion;
  readonly archive?: { readonly storage: WalStorage; readonly prop: string; readonly options: ArchivingOptions };
  readonly restore?: { readonly storage: WalStorage; readonly prop: string; readonly backupName?: string; readonly target?: RecoveryTarget };
}

export interface Workload {
  readonly name: string;
  readonly serviceName: string;
  readonly headlessServiceName: string;
  readonly configMapName: string;
  readonly authSecretName: string;
  readonly statefulSet: ApiObject;
}

/** Locations archived to by constructs of one app, to refuse two clusters in one archive. */
const ARCHIVES = new WeakMap<IConstruct, Map<string, string>>();

function seconds(scope: IConstruct, prop: string, d: Duration | undefined, fallback: number): number {
  if (d === undefined) {
    return fallback;
  }
  if (!(d instanceof Duration)) {
    invalid(scope, prop, d, 'expected a Duration such as Duration.seconds(60)');
  }
  const s = d.toSeconds({ integral: false });
  if (!Number.isInteger(s) || s < 1) {
    invalid(scope, prop, `${s} seconds`, 'expected a whole number of seconds, at least 1');
  }
  return s;
}

function boolOr(scope: IConstruct, prop: string, v: unknown, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') invalid(scope, prop, v, 'expected true or false');
  return v;
}

export function renderWorkload(scope: Construct, props: PostgresInstanceOptions, spec: WorkloadSpec): Workload {
  const o = props ?? {};
  const name = o.name === undefined ? Names.toDnsLabel(scope, { maxLen: 40 }) : checkDnsLabel(scope, 'name', o.name, 40);
  const version = spec.version;
  const major = version.majorVersion;

  // Labels
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(o.labels ?? {})) {
    if (!/^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(k)) {
      invalid(scope, 'labels', k, 'expected a Kubernetes label key such as "team" or "example.com/team"');
    }
    if (typeof v !== 'string' || !/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/.test(v)) {
      invalid(scope, `labels.${k}`, v, 'expected a Kubernetes label value: at most 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit');
    }
    labels[k] = v;
  }
  const selector = { 'app.kubernetes.io/name': 'postgres', 'app.kubernetes.io/instance': name };
  Object.assign(labels, selector, {
    'app.kubernetes.io/version': version.name.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 63),
    'app.kubernetes.io/component': 'database',
    'app.kubernetes.io/managed-by': 'cdk8s-postgres-walg',
  });

  // Sizes and resources
  const storageSize = o.storageSize === undefined ? '10Gi' : checkQuantity(scope, 'storageSize', o.storageSize, '10Gi');
  const storageClassName = o.storageClassName === undefined ? undefined : checkDnsSubdomain(scope, 'storageClassName', o.storageClassName);
  const r = o.resources ?? {};
  const resources = {
    requests: {
      'cpu': k8s.Quantity.fromString(r.cpuRequest === undefined ? '250m' : checkQuantity(scope, 'resources.cpuRequest', r.cpuRequest, '250m')),
      'memory': k8s.Quantity.fromString(r.memoryRequest === undefined ? '512Mi' : checkQuantity(scope, 'resources.memoryRequest', r.memoryRequest, '512Mi')),
      // The node disk the container uses outside the PVC: /tmp and the socket directory (emptyDirs)
      // and its logs (the root filesystem is read-only). Bounded, so a runaway cannot fill the node.
      'ephemeral-storage': k8s.Quantity.fromString('128Mi'),
    },
    limits: {
      'cpu': k8s.Quantity.fromString(r.cpuLimit === undefined ? '1' : checkQuantity(scope, 'resources.cpuLimit', r.cpuLimit, '1')),
      'memory': k8s.Quantity.fromString(r.memoryLimit === undefined ? '1Gi' : checkQuantity(scope, 'resources.memoryLimit', r.memoryLimit, '1Gi')),
      'ephemeral-storage': k8s.Quantity.fromString('2Gi'),
    },
  };
  const pullPolicy = o.imagePullPolicy ?? ImagePullPolicy.IF_NOT_PRESENT;
  if (!Object.values(ImagePullPolicy).includes(pullPolicy)) {
    invalid(scope, 'imagePullPolicy', pullPolicy, `expected one of ${Object.values(ImagePullPolicy).join(', ')}`);
  }
  const attempts = o.storageAttempts === undefined ? 12 : checkPositiveInteger(scope, 'storageAttempts', o.storageAttempts, 1000);
  const retrySeconds = seconds(scope, 'storageRetryInterval', o.storageRetryInterval, 5);

  // postgresql.conf
  const conf: string[] = [
    `# postgresql.conf settings of ${spec.kind} ${scope.node.path} (cdk8s-postgres-walg).`,
    '# bootstrap.sh copies them to PGDATA/pg-walg.conf, included by postgresql.conf; they apply at the next restart.',
  ];
  const archive = spec.archive;
  if (archive) {
    const timeout = seconds(scope, 'archiveTimeout', archive.options.archiveTimeout, 60);
    conf.push(
      'wal_level = replica',
      'archive_mode = on',
      "archive_command = 'wal-g wal-push %p'",
      `archive_timeout = ${timeout}`,
    );
  } else {
    conf.push('archive_mode = off');
  }
  for (const [k, v] of Object.entries(o.parameters ?? {})) {
    if (!/^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/.test(k)) {
      invalid(scope, 'parameters', k, 'expected a PostgreSQL parameter name such as "max_connections"');
    }
    if (MANAGED_PARAMETERS.includes(k)) {
      invalid(scope, 'parameters', k, `this parameter is managed by ${spec.kind}; managed parameters are ${MANAGED_PARAMETERS.join(', ')}`);
    }
    if (typeof v !== 'string') {
      invalid(scope, `parameters.${k}`, v, 'expected a string value, e.g. "200"');
    }
    checkSingleLine(scope, `parameters.${k}`, v);
    conf.push(`${k} = ${confString(v)}`);
  }

  const data: Record<string, string> = {};
  for (const f of SCRIPT_FILES) {
    data[f] = script(f);
  }
  data['postgresql.conf'] = conf.join('\n') + '\n';
  data['pg_hba.conf'] = [
    '# pg_hba.conf (cdk8s-postgres-walg): local socket for the pod itself, passwords over the network.',
    'local   all          all                 trust',
    'host    all          all   0.0.0.0/0     md5',
    'host    all          all   ::/0          md5',
    'host    replication  all   0.0.0.0/0     md5',
    'host    replication  all   ::/0          md5',
    '',
  ].join('\n');

  const env: Record<string, string> = {
    PGDATA: PATHS.pgdata,
    PGHOST: PATHS.run,
    PGPORT: String(PORT),
    PGUSER: 'postgres',
    PG_WALG_CONFIG: PATHS.config,
    PG_WALG_SECRETS: PATHS.secrets,
    PG_WALG_STATE: PATHS.state,
    PG_WALG_BOOTSTRAP: spec.restore ? 'restore' : 'initdb',
    PG_WALG_ARCHIVE: archive ? 'on' : 'off',
    PG_WALG_PG_MAJOR: major,
    PG_WALG_ATTEMPTS: String(attempts),
    PG_WALG_RETRY_SECONDS: String(retrySeconds),
    PG_WALG_FETCH_NOT_FOUND_EXIT: String(fetchNotFoundExit(version)),
    HOME: PATHS.tmp,
  };

  const volumes: k8s.Volume[] = [];
  const mounts: k8s.VolumeMount[] = [];
  const sidecarMounts: k8s.VolumeMount[] = [];
  const secrets: Array<{ role: string; spec: CredentialSpec }> = [];
  let serviceAccountName: string | undefined;
  const localMounts: Array<{ mountPath: string; volume: k8s.Volume }> = [];

  const bindings: Array<{ role: 'archive' | 'restore'; binding: StorageBinding }> = [];
  if (spec.restore) {
    bindings.push({ role: 'restore', binding: spec.restore.storage._bind(scope, spec.restore.prop) });
  }
  if (archive) {
    bindings.push({ role: 'archive', binding: archive.storage._bind(scope, archive.prop) });
  }
  if (spec.restore && archive && bindings[0].binding.identity === bindings[1].binding.identity) {
    invalid(scope, archive.prop, archive.storage.location, `the onward archive must differ from the restore source (${spec.restore.prop}): archiving into the archive being restored would mix two WAL histories; use another prefix`);
  }
  for (const { role, binding } of bindings) {
    // lib.sh reads the env file line by line: a value with a line break would add a setting.
    for (const [k, v] of Object.entries(binding.env)) {
      checkSingleLine(scope, `${role === 'archive' ? archive!.prop : spec.restore!.prop} setting ${k}`, v);
    }
    data[`${role}.env`] = Object.entries(binding.env).map(([k, v]) => `${k}=${v}`).join('\n') + '\n';
    if (binding.caCertificate) {
      data[`${role}-ca.crt`] = binding.caCertificate.endsWith('\n') ? binding.caCertificate : `${binding.caCertificate}\n`;
    }
    const cred = binding.credentials;
    if (cred && (cred.secretName || cred.secretData)) {
      secrets.push({ role, spec: cred });
    }
    if (cred?.serviceAccountName) {
      if (serviceAccountName && serviceAccountName !== cred.serviceAccountName) {
        invalid(scope, `${role === 'archive' ? archive!.prop : spec.restore!.prop}.credentials`, cred.serviceAccountName, `a pod has one service account, and the other storage uses "${serviceAccountName}"; use the same one`);
      }
      serviceAccountName = cred.serviceAccountName;
    }
    if (binding.volume && binding.mountPath) {
      const prop = role === 'archive' ? archive!.prop : spec.restore!.prop;
      const same = localMounts.find((m) => m.mountPath === binding.mountPath);
      if (same && JSON.stringify({ ...same.volume, name: '' }) !== JSON.stringify({ ...binding.volume, name: '' })) {
        invalid(scope, `${prop}.mountPath`, binding.mountPath, 'expected a mount path that the other Local storage (another volume) does not use');
      }
      const volName = same?.volume.name ?? `${role}-local`;
      if (!same) {
        const volume = { ...binding.volume, name: volName };
        volumes.push(volume);
        // A restore source is only read: mounted read-only, unless the onward archive shares the mount.
        mounts.push({ name: volName, mountPath: binding.mountPath, readOnly: role === 'restore' ? true : undefined });
        localMounts.push({ mountPath: binding.mountPath, volume });
      } else if (role === 'archive') {
        const i = mounts.findIndex((m) => m.name === volName);
        mounts[i] = { name: volName, mountPath: binding.mountPath };
      }
      if (role === 'archive') sidecarMounts.push({ name: volName, mountPath: binding.mountPath });
    }
  }
  if (archive && archive.options.allowNonEmptyArchive !== undefined) {
    env.PG_WALG_ALLOW_NONEMPTY_ARCHIVE = String(boolOr(scope, 'allowNonEmptyArchive', archive.options.allowNonEmptyArchive, false));
  }
  // One archive per cluster in an app: two clusters must not archive to one location.
  if (archive) {
    const root = scope.node.root;
    const seen = ARCHIVES.get(root) ?? new Map<string, string>();
    ARCHIVES.set(root, seen);
    const identity = bindings[bindings.length - 1].binding.identity;
    const other = seen.get(identity);
    if (other && !boolOr(scope, 'allowNonEmptyArchive', archive.options.allowNonEmptyArchive, false)) {
      invalid(scope, archive.prop, archive.storage.location, `${other} already archives there; two clusters in one archive mix their WAL histories, so give each its own prefix`);
    }
    seen.set(identity, scope.node.path);
  }

  if (spec.restore) {
    const rec = renderRecovery(scope, version, spec.restore.target);
    data['recovery.conf'] = rec.conf;
    env.PG_WALG_RECOVERY_STYLE = Number(major) >= 12 ? 'recovery.signal' : 'recovery.conf';
    if (spec.restore.backupName !== undefined) {
      const expected = 'expected "LATEST" or a WAL-G backup name such as "base_000000010000000000000002" (see wal-g backup-list)';
      const b = requireString(scope, 'backupName', spec.restore.backupName, expected);
      if (!/^(LATEST|base_[0-9A-F]{24}(_D_[0-9A-F]{24})?)$/.test(b)) {
        invalid(scope, 'backupName', b, expected);
      }
      env.PG_WALG_BACKUP_NAME = b;
    } else if (rec.targetTimeUtc) {
      env.PG_WALG_TARGET_TIME_UTC = rec.targetTimeUtc;
    }
  }

  // Objects
  const configMapName = `${name}-config`;
  new k8s.KubeConfigMap(scope, 'ConfigMap', { metadata: { name: configMapName, labels }, data });

  const password = (o.superuserPassword as SuperuserPassword | undefined) ?? SuperuserPassword.fromSecret(`${name}-auth`);
  const passwordSpec = checkCredentialSpec(scope, 'superuserPassword', password?._spec, 'SuperuserPassword.fromSecret() or .fromValue()');
  const authSecretName = passwordSpec.secretName ?? `${name}-auth`;
  if (passwordSpec.secretData) {
    new k8s.KubeSecret(scope, 'AuthSecret', { metadata: { name: authSecretName, labels }, type: 'Opaque', stringData: passwordSpec.secretData });
  }
  const readOnlySecret = 0o440;
  volumes.push(
    { name: 'config', configMap: { name: configMapName, defaultMode: 0o444 } },
    { name: 'auth', secret: { secretName: authSecretName, defaultMode: readOnlySecret, items: [{ key: password._key, path: 'POSTGRES_PASSWORD' }] } },
    { name: 'run', emptyDir: {} },
    { name: 'tmp', emptyDir: {} },
    { name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: k8s.Quantity.fromString('256Mi') } },
  );
  const common: k8s.VolumeMount[] = [
    { name: 'data', mountPath: PATHS.dataMount },
    { name: 'config', mountPath: PATHS.config, readOnly: true },
    { name: 'run', mountPath: PATHS.run },
    { name: 'tmp', mountPath: PATHS.tmp },
  ];
  mounts.unshift(...common, { name: 'auth', mountPath: `${PATHS.secrets}/auth`, readOnly: true }, { name: 'shm', mountPath: PATHS.shm });
  sidecarMounts.unshift(...common);
  for (const { role, spec: cred } of secrets) {
    let secretName = cred.secretName;
    if (!secretName) {
      secretName = `${name}-${role}-credentials`;
      new k8s.KubeSecret(scope, role === 'archive' ? 'ArchiveCredentials' : 'RestoreCredentials', {
        metadata: { name: secretName, labels },
        type: 'Opaque',
        stringData: cred.secretData,
      });
    }
    volumes.push({ name: `${role}-credentials`, secret: { secretName, defaultMode: readOnlySecret } });
    const m = { name: `${role}-credentials`, mountPath: `${PATHS.secrets}/${role}`, readOnly: true };
    mounts.push(m);
    if (role === 'archive') sidecarMounts.push(m);
  }

  const toEnv = (e: Record<string, string>) => Object.entries(e).map(([k, v]) => ({ name: k, value: v }));
  const containerSecurity: k8s.SecurityContext = {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    runAsUser: version.uid,
    runAsGroup: version.uid,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
  const containers: k8s.Container[] = [
    {
      name: 'postgres',
      image: version.image,
      imagePullPolicy: pullPolicy,
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
      resources,
      securityContext: containerSecurity,
      volumeMounts: mounts,
    },
  ];
  if (archive) {
    const interval = seconds(scope, 'baseBackupInterval', archive.options.baseBackupInterval, 86400);
    const retain = archive.options.retainBaseBackups === undefined ? 7 : checkNonNegativeInteger(scope, 'retainBaseBackups', archive.options.retainBaseBackups);
    containers.push({
      name: 'walg-backup',
      image: version.image,
      imagePullPolicy: pullPolicy,
      command: ['/bin/sh', `${PATHS.config}/backup.sh`],
      env: toEnv({
        ...env,
        PG_WALG_BACKUP_INTERVAL_SECONDS: String(interval),
        PG_WALG_RETAIN_FULL: String(retain),
      }),
      resources: {
        requests: { 'cpu': k8s.Quantity.fromString('50m'), 'memory': k8s.Quantity.fromString('64Mi'), 'ephemeral-storage': k8s.Quantity.fromString('64Mi') },
        limits: { 'cpu': k8s.Quantity.fromString('1'), 'memory': k8s.Quantity.fromString('512Mi'), 'ephemeral-storage': k8s.Quantity.fromString('1Gi') },
      },
      securityContext: containerSecurity,
      volumeMounts: sidecarMounts,
    });
  }

  const headlessServiceName = `${name}-pods`;
  new k8s.KubeService(scope, 'HeadlessService', {
    metadata: { name: headlessServiceName, labels },
    spec: {
      clusterIp: 'None',
      selector,
      ports: [{ name: 'postgres', port: PORT, targetPort: k8s.IntOrString.fromString('postgres') }],
      publishNotReadyAddresses: true,
    },
  });
  new k8s.KubeService(scope, 'Service', {
    metadata: { name, labels },
    spec: {
      type: 'ClusterIP',
      selector,
      ports: [{ name: 'postgres', port: PORT, targetPort: k8s.IntOrString.fromString('postgres') }],
    },
  });

  const sts = new k8s.KubeStatefulSet(scope, 'StatefulSet', {
    metadata: { name, labels },
    spec: {
      serviceName: headlessServiceName,
      replicas: 1,
      selector: { matchLabels: selector },
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate' },
      template: {
        metadata: { labels },
        spec: {
          automountServiceAccountToken: false,
          serviceAccountName,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: 60,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: version.uid,
            runAsGroup: version.uid,
            fsGroup: version.uid,
            fsGroupChangePolicy: 'OnRootMismatch',
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers,
          volumes,
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: 'data', labels },
          spec: {
            accessModes: ['ReadWriteOnce'],
            storageClassName,
            resources: { requests: { storage: k8s.Quantity.fromString(storageSize) } },
          },
        },
      ],
    },
  });
  return { name, serviceName: name, headlessServiceName, configMapName, authSecretName, statefulSet: sts };
}
