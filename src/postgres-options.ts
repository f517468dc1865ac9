import { Duration } from 'cdk8s';
import { ImagePullPolicy, INetworkPolicyPeer, k8s, ServiceType } from 'cdk8s-plus-27';
import { MetricsOptions } from './metrics-options';
import { ReplicationPassword } from './replication-password';
import { RestoreDrillOptions } from './restore-drill-options';
import { SuperuserPassword } from './superuser-password';

/**
 * CPU and memory of the postgres container (Kubernetes quantities).
 *
 * @see https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/
 */
export interface PostgresResources {
  /** @default "250m" */
  readonly cpuRequest?: string;
  /** @default "1" */
  readonly cpuLimit?: string;
  /** @default "512Mi" */
  readonly memoryRequest?: string;
  /** @default "1Gi" */
  readonly memoryLimit?: string;
}

/**
 * Who may connect to PostgreSQL: the clients of the NetworkPolicy an instance makes when its
 * `networkPolicy` option is set.
 *
 * @see https://kubernetes.io/docs/concepts/services-networking/network-policies/
 */
export interface PostgresNetworkPolicy {
  /**
   * The peers admitted to PostgreSQL (TCP port 5432), besides the instance's own pods, as cdk8s-plus-27
   * network policy peers, the same type in every jsii language:
   *
   * - `Pods.select(scope, id, { labels })`: pods with these labels in the construct's namespace; with
   *   `namespaces: Namespaces.select(scope, id, { names })` or `{ labels }`, in those namespaces;
   * - `Namespaces.select(scope, id, { labels })` or `{ names }`: every pod of those namespaces;
   * - `NetworkPolicyIpBlock.ipv4(scope, id, cidr, except?)` or `.ipv6(...)`: addresses outside the pod
   *   network, such as a load balancer's or a VPN's (what they are depends on the cluster's network plugin);
   * - a cdk8s-plus workload (`Deployment`, `StatefulSet`, `Job`, ...): its pods.
   *
   * `Pods.all()` admits every pod of the namespace, `Namespaces.all()` every pod of the cluster, and
   * `NetworkPolicyIpBlock.anyIpv4()` every address: they are taken as given. Each peer becomes one
   * ingress rule on TCP 5432. Checked at synth: at least one peer (with none, no client could connect;
   * leave `networkPolicy` out instead), each a peer that selects at least one source (a rule without
   * sources admits every source, so a selector of no namespace names is refused), label keys and values
   * and label expressions as Kubernetes takes them, namespace names DNS-1123 labels, CIDRs with the bits
   * after the prefix zero and exceptions strictly inside their block.
   */
  readonly clients: INetworkPolicyPeer[];
}

/**
 * How a client Service from outside the cluster is routed to the pod.
 *
 * @see https://kubernetes.io/docs/reference/networking/virtual-ips/#external-traffic-policy
 */
export enum ExternalTrafficPolicy {
  /** Any node forwards to the pod; the pod sees a node's address (Kubernetes' default). */
  CLUSTER = 'Cluster',
  /** Only the pod's node forwards; the pod sees the client's address. */
  LOCAL = 'Local',
}

/** Options of every PostgreSQL instance this library synthesizes. */
export interface PostgresInstanceOptions {
  /**
   * The name of the StatefulSet, of the client Service and the prefix of the other objects' names.
   *
   * @default - derived from the construct path, unique in the app
   */
  readonly name?: string;
  /**
   * The password of the `postgres` superuser.
   *
   * @default - a Secret named "<name>-auth" that you create, with the key POSTGRES_PASSWORD
   */
  readonly superuserPassword?: SuperuserPassword;
  /**
   * How many PostgreSQL instances ("members") run: one primary and `replicas - 1` hot standbys, each a
   * StatefulSet of one pod with its own data volume. Member 0 is the StatefulSet `<name>` (the one a
   * single instance has, so a cluster scaled from 1 keeps its pod and claim), member i the StatefulSet
   * `<name>-<i>`. The standbys are made from the archive's base backups, stream from the primary as
   * `streaming_replica` (its password: `replicationPassword`), fall back to the archive's WAL when
   * streaming breaks, and serve reads through the read-only Service `<name>-ro`; the client Service
   * `<name>` reaches only the primary. With more than one, a PodDisruptionBudget (`maxUnavailable: 1`)
   * and, unless `affinity` is given, a preferred anti-affinity spread the members over nodes.
   *
   * There is NO automatic failover: when the primary is lost, the standbys keep serving reads and nobody
   * accepts writes until you promote a standby by hand and set `primaryMember` to it (see the README's
   * promotion runbook).
   *
   * A whole number of instances from 1 to 10. A WalRestoredPostgres needs an onward `archive` for more
   * than 1 (its standbys are made from that archive); otherwise, and for a value out of range, synth fails
   * with an error naming the property.
   *
   * @default 1
   * @see https://www.postgresql.org/docs/current/hot-standby.html
   */
  readonly replicas?: number;
  /**
   * The member that is the primary: a whole number from 0 to `replicas - 1`. The client Service selects
   * it, and only it runs the scheduled base backups; the others are hot standbys. The pods never promote
   * a standby by themselves: changing this (after promoting the standby by hand, as the README's runbook
   * says) is what points the client Service at the new primary. Out of range, synth fails with an error
   * naming the valid range.
   *
   * @default 0
   */
  readonly primaryMember?: number;
  /**
   * The password of the replication role `streaming_replica` that the standbys stream as, mounted on
   * every member. Only with `replicas` of 2 or more (with 1 nothing streams, and synth fails rather than
   * ignore it).
   *
   * @default - with 2 or more replicas, a Secret named "<name>-replication" that you create, with the key REPLICATION_PASSWORD
   */
  readonly replicationPassword?: ReplicationPassword;
  /**
   * The size of the data volume (a Kubernetes quantity).
   *
   * @default "10Gi"
   */
  readonly storageSize?: string;
  /**
   * The StorageClass of the data volume.
   *
   * @default - the cluster's default StorageClass
   */
  readonly storageClassName?: string;
  /**
   * CPU and memory of the postgres container.
   *
   * @default - requests 250m CPU and 512Mi memory, limits 1 CPU and 1Gi memory
   */
  readonly resources?: PostgresResources;
  /**
   * The image pull policy.
   *
   * @default ImagePullPolicy.IF_NOT_PRESENT
   */
  readonly imagePullPolicy?: ImagePullPolicy;
  /**
   * Extra labels on every object (and on the pod).
   *
   * @default - only the app.kubernetes.io labels
   */
  readonly labels?: { [key: string]: string };
  /**
   * Extra postgresql.conf parameters, e.g. `{ max_connections: '200' }`. The archiving and recovery
   * parameters are managed by the construct and cannot be set here.
   *
   * @default - none
   * @see https://www.postgresql.org/docs/current/runtime-config.html
   */
  readonly parameters?: { [name: string]: string };
  /**
   * How many times the pod tries a storage operation (listing, fetching or pushing a backup, and
   * fetching one WAL file during a restore's replay) before it fails with the last error. Bounds how long
   * a wrong prefix or wrong credentials go unnoticed. A WAL file that cannot be fetched after these
   * attempts (each bounded to 60 seconds) aborts recovery, and the restarted pod resumes replay: a
   * restore never ends early because the storage failed.
   *
   * @default 12
   */
  readonly storageAttempts?: number;
  /**
   * The pause between two storage attempts.
   *
   * @default Duration.seconds(5)
   */
  readonly storageRetryInterval?: Duration;

  // --- scheduling: the Kubernetes API's own structs (cdk8s-plus-27's k8s namespace), checked at synth ---
  // Not a subset of the library's own: jsii accepts cdk8s-plus-27's structs in this API, so every language
  // gets them, with the field names of the Kubernetes docs; what they leave as strings is checked here.

  /**
   * Node labels the pod's node must have (`spec.template.spec.nodeSelector`), e.g.
   * `{ 'node-role.example.com/database': 'true' }`. Keys are Kubernetes label keys, values label values.
   *
   * @default - any node
   * @see https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodeselector
   */
  readonly nodeSelector?: { [key: string]: string };
  /**
   * Taints the pod tolerates (`spec.template.spec.tolerations`), as the Kubernetes API's own struct
   * (`k8s.Toleration` of cdk8s-plus-27, the peer dependency): the same type in every jsii language, with
   * the field names of the Kubernetes docs, rather than a subset of the library's own. Checked at synth:
   * `operator` is "Equal" (the default) or "Exists"; `effect` is "NoSchedule", "PreferNoSchedule" or
   * "NoExecute" (or left out: every effect); a key is a label key and is required with "Equal"; "Exists"
   * takes no value; `tolerationSeconds` (whole seconds, 0 or more) only with "NoExecute"; a field the
   * struct does not have is refused (cdk8s would drop it).
   *
   * @default - none
   * @see https://kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/
   */
  readonly tolerations?: k8s.Toleration[];
  /**
   * Node affinity and pod (anti-)affinity (`spec.template.spec.affinity`), as the Kubernetes API's own
   * struct (`k8s.Affinity` of cdk8s-plus-27): its terms and selectors are too deep for a subset to cover
   * every case. Checked at synth: requirement keys are label keys (a `matchFields` key is
   * "metadata.name"), operators are those of the API ("In", "NotIn", "Exists", "DoesNotExist", and for
   * nodes "Gt" and "Lt") with the values each needs, weights are from 1 to 100, a required node selector
   * has at least one term and no term is empty, each pod affinity term names a `topologyKey` and a
   * `labelSelector`, and no struct has a field it does not know. The pod's own labels
   * (`app.kubernetes.io/instance: <name>`, plus `labels`) select it in other pods' terms. Given, it is
   * kept as it is, also with `replicas` of 2 or more (then spread the members yourself).
   *
   * @default - none with one instance; with `replicas` of 2 or more, a preferred pod anti-affinity (weight
   *   100, topology key `kubernetes.io/hostname`, selecting the instance's pods) that puts the members on
   *   different nodes where it can
   * @see https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#affinity-and-anti-affinity
   */
  readonly affinity?: k8s.Affinity;
  /**
   * How the pod spreads with other pods over topology domains such as zones
   * (`spec.template.spec.topologySpreadConstraints`), as the Kubernetes API's own struct
   * (`k8s.TopologySpreadConstraint` of cdk8s-plus-27). The StatefulSet has one pod: a constraint counts
   * the pods its `labelSelector` selects (e.g. every database pod through a label given in `labels`), so
   * give one. Checked at synth: `maxSkew` is a whole number of 1 or more, `topologyKey` a label key,
   * `whenUnsatisfiable` "DoNotSchedule" or "ScheduleAnyway", `minDomains` (1 or more) only with
   * "DoNotSchedule", `nodeAffinityPolicy` and `nodeTaintsPolicy` "Honor" or "Ignore", `matchLabelKeys`
   * label keys.
   *
   * @default - none (the cluster's default constraints apply)
   * @see https://kubernetes.io/docs/concepts/scheduling-eviction/topology-spread-constraints/
   */
  readonly topologySpreadConstraints?: k8s.TopologySpreadConstraint[];
  /**
   * The PriorityClass of the pod (`spec.template.spec.priorityClassName`), a DNS-1123 subdomain such as
   * "database-critical". The PriorityClass itself is yours to create.
   *
   * @default - the cluster's default priority
   * @see https://kubernetes.io/docs/concepts/scheduling-eviction/pod-priority-preemption/
   */
  readonly priorityClassName?: string;

  // --- metadata, exposure and images ---------------------------------------------------------------------

  /**
   * Annotations on the pod template (`spec.template.metadata.annotations`), e.g. for a metrics scraper
   * or a service mesh. Keys are Kubernetes qualified names (`[prefix/]name`), values strings; keys under
   * the library's own prefix "cdk8s-postgres-walg/" are refused (the pod template carries
   * `cdk8s-postgres-walg/config-checksum`). Changing them rolls the pod, which restarts the database.
   *
   * @default - only the library's config checksum
   * @see https://kubernetes.io/docs/concepts/overview/working-with-objects/annotations/
   */
  readonly podAnnotations?: { [key: string]: string };
  /**
   * Annotations on the client Service (`<name>`) only, e.g. a cloud load balancer's settings such as
   * `service.beta.kubernetes.io/aws-load-balancer-internal`. The headless Service is not annotated.
   * Keys are Kubernetes qualified names, values strings; keys under "cdk8s-postgres-walg/" are refused.
   *
   * @default - none
   * @see https://kubernetes.io/docs/concepts/overview/working-with-objects/annotations/
   */
  readonly serviceAnnotations?: { [key: string]: string };
  /**
   * The type of the client Service (`<name>`): ClusterIP, NodePort or LoadBalancer. ExternalName is
   * refused (it selects no pods). The headless Service that governs the StatefulSet stays headless.
   * NodePort and LoadBalancer make PostgreSQL reachable from outside the cluster: restrict who may
   * connect with `loadBalancerSourceRanges` and `networkPolicy`.
   *
   * @default ServiceType.CLUSTER_IP
   * @see https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types
   */
  readonly serviceType?: ServiceType;
  /**
   * The client addresses a LoadBalancer client Service admits (`spec.loadBalancerSourceRanges`), as
   * CIDRs such as "203.0.113.0/24" or "2001:db8::/32" (IPv4 or IPv6). Only with
   * `serviceType: ServiceType.LOAD_BALANCER`. The bits after the prefix length must be zero: Kubernetes
   * would read "10.0.0.1/8" as all of 10.0.0.0/8, so a host meant as "/32" is refused instead of opening
   * the network.
   *
   * @default - every address the load balancer admits (often any)
   * @see https://kubernetes.io/docs/tasks/access-application-cluster/create-external-load-balancer/#restrict-access-for-loadbalancer-service
   */
  readonly loadBalancerSourceRanges?: string[];
  /**
   * How a NodePort or LoadBalancer client Service routes traffic from outside the cluster
   * (`spec.externalTrafficPolicy`). With `LOCAL` a node forwards only to the pod on itself and keeps the
   * client's source address, which `networkPolicy` IP blocks and PostgreSQL's own logs then see; with
   * `CLUSTER` any node forwards, and the pod sees a node's address. Only with `serviceType`
   * `NODE_PORT` or `LOAD_BALANCER`.
   *
   * @default - Kubernetes' default, ExternalTrafficPolicy.CLUSTER
   * @see https://kubernetes.io/docs/reference/networking/virtual-ips/#external-traffic-policy
   */
  readonly externalTrafficPolicy?: ExternalTrafficPolicy;
  /**
   * Secrets of type `kubernetes.io/dockerconfigjson` in the construct's namespace, by name, used to pull
   * every image of the pod (`spec.template.spec.imagePullSecrets`): the database image, the
   * `walg-install` init container's WAL-G image of the modern versions, and the sidecar's. Each a
   * DNS-1123 subdomain, each once.
   *
   * @default - none (the service account's, or the nodes' credentials)
   * @see https://kubernetes.io/docs/concepts/containers/images/#specifying-imagepullsecrets-on-a-pod
   */
  readonly imagePullSecrets?: string[];
  /**
   * Makes a NetworkPolicy `<name>-postgres` (labelled like the instance's other objects) for the pod:
   * ingress only on TCP port 5432, only from the instance's own pods (`app.kubernetes.io/name: postgres`
   * and `app.kubernetes.io/instance: <name>`: every member, so that standbys reach the primary) and from
   * the `clients` named; policy types Ingress and Egress, with one egress rule that admits everything, so WAL-G reaches
   * its storage and DNS even where another policy denies egress by default. NetworkPolicies add up: another
   * policy that selects the pod can admit more, none can take away. They are enforced only by a network
   * plugin that supports them. Errors: see `PostgresNetworkPolicy.clients`.
   *
   * @default - no NetworkPolicy: every pod and address that can reach the pod network may connect to
   *   PostgreSQL (which still asks for a password)
   * @see https://kubernetes.io/docs/concepts/services-networking/network-policies/
   */
  readonly networkPolicy?: PostgresNetworkPolicy;
  /**
   * Prometheus metrics: a `metrics` container (postgres_exporter, port 9187, named `metrics` on the headless
   * Service `<name>-pods`) in every member's pod, connecting over the pod's socket, with the library's queries
   * (`pg_walg_*`: WAL archiving, segments waiting, the last scheduled base backup); optionally a ServiceMonitor and a
   * PrometheusRule. With `networkPolicy`, the policy admits the exporter's port 9187 from the same clients as 5432:
   * name Prometheus's pods or namespace among them. Errors: see `MetricsOptions` (an image that is not an image
   * reference, a `scrapeInterval` without `serviceMonitor` or not in whole seconds from 1 to 300, `alertRules` without
   * `serviceMonitor`, a label of the library's).
   *
   * @default - no exporter, ServiceMonitor or PrometheusRule
   * @see https://github.com/prometheus-community/postgres_exporter
   */
  readonly metrics?: MetricsOptions;
}

/** Options of continuous archiving. */
export interface ArchivingOptions {
  /**
   * `archive_timeout`: a WAL segment is archived at least this often, which bounds how much
   * committed data a lost volume can take with it. Whole seconds, at least 1.
   *
   * @default Duration.seconds(60)
   * @see https://www.postgresql.org/docs/current/runtime-config-wal.html#GUC-ARCHIVE-TIMEOUT
   */
  readonly archiveTimeout?: Duration;
  /**
   * How often the walg-backup sidecar pushes a base backup (the first one is pushed when the
   * cluster is created). Shorter intervals make restores replay less WAL.
   *
   * @default Duration.hours(24)
   * @see https://wal-g.readthedocs.io/PostgreSQL/#backup-push
   */
  readonly baseBackupInterval?: Duration;
  /**
   * How many full base backups to keep: after each scheduled backup, older backups and the WAL only
   * they need are deleted (`wal-g delete retain FULL n --confirm`). 0 keeps everything. A delta backup
   * is kept with the full backup it builds on (see `deltaMaxSteps`): only full backups are counted.
   *
   * With `retainFor`, the least number of full backups kept whatever their age (at least 1: 0 is
   * refused there, since it would keep everything and the window would delete nothing).
   *
   * @default 7, or 1 with `retainFor` (the newest full backup and its deltas)
   * @see https://wal-g.readthedocs.io/#delete
   */
  readonly retainBaseBackups?: number;
  /**
   * Retention by age: keep every base backup and WAL segment that point-in-time recovery to any moment
   * of the last `retainFor` needs, and at least the newest `retainBaseBackups` full backups (1 unless
   * set). After each scheduled backup the walg-backup sidecar takes the newest base backup that finished
   * at or before now − `retainFor` (a recovery to the window's start begins there; when no backup is that
   * old, nothing is deleted) and the `retainBaseBackups`-th newest full backup, keeps the older of the two
   * (for a delta backup, from the full backup it builds on) and everything after it, and deletes the older
   * backups and the WAL before it (`wal-g delete before FIND_FULL <backup> --confirm`, which every WAL-G of
   * the catalog has). A backup counts as finished at the finish time WAL-G recorded in it
   * (`backup-list --detail`, WAL-G 0.2.10 and later), else at its storage modification time plus a second
   * (WAL-G prints it cut to the second): both come after the backup's end, and a copied archive shows the
   * copy time, so a backup may be kept longer, never deleted too soon. Retention runs after each scheduled
   * backup only, so the archive reaches back between `retainFor` and `retainFor` + `baseBackupInterval`.
   *
   * Whole seconds, at least `baseBackupInterval` (24 h unless set): with a shorter window the backup
   * before the newest always finished before the window's start, so every shorter value would keep the
   * same backups as one of `baseBackupInterval`. Not with `retainBaseBackups: 0`.
   *
   * @default - no retention by age: the newest `retainBaseBackups` full backups are kept
   * @see https://wal-g.readthedocs.io/#delete
   */
  readonly retainFor?: Duration;
  /**
   * Delta backups: up to this many scheduled base backups after each full one hold only the pages
   * changed since the previous backup. Then the next one is full again (WAL-G's `WALG_DELTA_MAX_STEPS`,
   * set in the walg-backup sidecar; every WAL-G of the catalog reads it, and `custom()` versions from
   * `walgVersion` 0.1.3; refused for an older one). The first base backup of a new archive, pushed before the server accepts
   * clients, is always full.
   *
   * A delta is smaller and quicker to push than a full backup, but a restore from it fetches its full
   * backup and every delta in between (up to `deltaMaxSteps` + 1 backups), one after the other: it takes
   * longer, and needs every one of them intact. Retention keeps the full backup and the deltas that each
   * kept delta builds on. Whole number from 1 to 1000.
   *
   * @default - none: every base backup is full
   * @see https://wal-g.readthedocs.io/PostgreSQL/
   */
  readonly deltaMaxSteps?: number;
  /**
   * Take the scheduled base backups from a hot standby instead of the primary, to spare the primary the
   * backup's reads (needs `replicas` of 2 or more: synth fails otherwise). The walg-backup sidecar that
   * pushes them and applies the retention runs beside the lowest-numbered standby, and pushes only while
   * its server is a standby in recovery; the primary's sidecar still checks the archiving and pushes none.
   * The first base backup of a new archive is still the primary's, pushed before it accepts clients.
   *
   * A backup from a standby ends where the standby's replay had reached, and its WAL is archived by the
   * primary: a restore from it can begin once the primary has archived that WAL (at most
   * `archiveTimeout` later). WAL-G takes backups on a standby from 0.1.3 (every catalog version); a
   * `custom()` version with an older `walgVersion` is refused.
   *
   * @default false: the primary's sidecar pushes the scheduled base backups
   * @see https://www.postgresql.org/docs/current/continuous-archiving.html#BACKUP-LOWLEVEL-BASE-BACKUP
   * @see https://wal-g.readthedocs.io/PostgreSQL/#backup-push
   */
  readonly baseBackupsFromStandby?: boolean;
  /**
   * The WAL chain check: the walg-backup sidecar beside the primary runs `wal-g wal-verify integrity timeline`
   * every `walVerifyInterval` (the first time within about a minute of the server accepting clients), logs the outcome and
   * records it for the metrics exporter (`pg_walg_wal_verify_*`). `integrity` looks for every WAL segment
   * from the oldest base backup's start to the server's current one; `timeline` checks that the server's
   * timeline is the archive's highest. On the server's timeline, a missing segment at or before the one
   * `pg_stat_archiver.last_archived_wal` named when the check began counts as lost (wal-push reported success
   * for it), and one after it as not archived yet, whatever WAL-G guessed. A check never runs beside a
   * scheduled backup and its retention.
   *
   * The version's WAL-G must have `wal-verify` with named checks (0.2.20 and later: the modern versions 14 to 18,
   * whose WAL-G is 3.0.8, not the KubeDB versions, and `custom()` versions from `walgVersion` 0.2.20); `true` is
   * refused for one whose WAL-G lacks it. With `allowNonEmptyArchive` it is off unless set: another cluster's
   * timelines and backups in the same location would make the timeline check fail for good.
   *
   * @default true where the version's WAL-G has it and `allowNonEmptyArchive` is not set, else false
   * @see https://wal-g.readthedocs.io/PostgreSQL/#wal-verify
   */
  readonly walVerify?: boolean;
  /**
   * How often the WAL chain check runs (`walVerify`). Each run lists the archive's WAL and base backups once.
   * Whole seconds, from 60 to 604800 (7 days). Refused where no check runs (`walVerify` false, or a WAL-G
   * without it).
   *
   * @default Duration.hours(1)
   * @see https://wal-g.readthedocs.io/PostgreSQL/#wal-verify
   */
  readonly walVerifyInterval?: Duration;
  /**
   * How long one `wal-g backup-push` may run before it is stopped (and, for the first base backup, tried
   * again up to `storageAttempts` times): a push that hangs on an unreachable store ends instead of
   * blocking the first start or the next scheduled backup. Stopping it is safe: WAL-G takes non-exclusive
   * backups, which PostgreSQL aborts when WAL-G's connection ends. Whole seconds, at least 1; set it above
   * the longest push you expect.
   *
   * @default Duration.hours(24)
   * @see https://wal-g.readthedocs.io/PostgreSQL/#backup-push
   */
  readonly baseBackupTimeout?: Duration;
  /**
   * Let a new cluster archive into a location that already holds base backups. Off by default: two
   * clusters in one location mix their WAL histories, and a restore may then pick the wrong one. A new
   * cluster is an ArchivingPostgres's first start (before initdb) and a WalRestoredPostgres that archives
   * onward (checked before its base backup is fetched); without it, either stops with an error naming
   * the location and a backup found there.
   *
   * Even with it, a new cluster never archives on a timeline that base backups there are on, or whose
   * history file is there (a timeline that a failover began: a standby or a copy of the volume promoted,
   * whose WAL is there before any base backup on it): WAL-G names WAL segments, history files and base
   * backups by timeline and position only, so its own would overwrite the other cluster's. It stops before
   * it archives anything, with an error naming the backup or the history file. An ArchivingPostgres begins
   * on timeline 1; a restore archiving onward, on the timeline it is promoted to (the newest of its source
   * plus one).
   *
   * @default false
   * @see https://www.postgresql.org/docs/current/continuous-archiving.html#BACKUP-TIMELINES
   */
  readonly allowNonEmptyArchive?: boolean;
  /**
   * A scheduled restore drill of this archive: a CronJob `<name>-restore-drill` whose Job restores the newest base
   * backup and replays the WAL to the end of the archive into a scratch volume, runs a check query on the restored
   * server, reports the outcome (the Job's status, one log line `pg-walg-restore-drill: result=…`) and removes the
   * copy. It never connects to the live database and never writes to the archive (a Local archive's volume is
   * mounted read-only); its pod has the database's image and security contexts. With `metrics.alertRules`, the
   * PrometheusRule also alerts when the last drill failed or none has succeeded (from kube-state-metrics' CronJob
   * and Job series). The instance's `name` may then have at most 38 characters (a CronJob's name at most 52), and
   * a Local archive on an `emptyDir` (the database pod's own, which the drill's pod cannot see) is refused.
   * Errors: see `RestoreDrillOptions`.
   *
   * @default - no restore drill
   * @see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/
   */
  readonly restoreDrill?: RestoreDrillOptions;
}

/**
 * Options of `connectionEnv()`: what an app connects to.
 *
 * @see https://www.postgresql.org/docs/current/libpq-envars.html
 */
export interface ConnectionEnvOptions {
  /**
   * The database to connect to (PGDATABASE): one line, 1 to 63 bytes. The pod creates no database but
   * `postgres` (initdb's); a restored instance has the databases of its source. Create others yourself
   * (e.g. in a migration the app runs).
   *
   * @default "postgres"
   * @see https://www.postgresql.org/docs/current/manage-ag-overview.html
   */
  readonly database?: string;
}
