// Runs one synthesized PostgreSQL "pod" on this machine, as Kubernetes would run it: the volumes of
// the StatefulSet's pod template are materialised (ConfigMap and Secret files, emptyDirs, the data
// claim, Local archive volumes) and bind-mounted at their container paths in a private mount
// namespace; the container's command runs there as an unprivileged user with exactly the
// container's env. The harness changes nothing the manifests say, except what a cluster would
// provide: the port (PGPORT), the listen address (loopback), and the PATH to the real binaries.
import { ChildProcessWithoutNullStreams, execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Env, marked, Proc, run, RunResult, startProcess, userInfo, waitFor } from './proc';
import { cacheDir, exporterBin, PG_USER, pgBinDir } from './tools';

export type Obj = { kind: string; metadata: { name: string }; [k: string]: any };

export interface PodOptions {
  /** The synthesized objects of the app. */
  readonly objects: Obj[];
  /** The StatefulSet's name (or the CronJob's, with `kind`). */
  readonly name: string;
  /**
   * The workload whose pod template runs: a StatefulSet, or a CronJob (its Job template's pod: the restore
   * drill), whose pod has no claim templates; a generic ephemeral volume is materialised as a directory, as
   * its provisioner would give a fresh volume.
   * @default 'StatefulSet'
   */
  readonly kind?: 'StatefulSet' | 'CronJob';
  readonly major: number;
  /**
   * The directory of the WAL-G line to run (tools.ts WalgLine.dir, with the binary named wal-g): first on
   * the PATH, as the image's wal-g; or, for a pod with the walg-install init container, the WAL-G
   * image's directory that holds the binary (the init container copies it, the PATH does not name it).
   */
  readonly walgDir: string;
  /** Run the scripts with busybox sh and busybox applets first on the PATH (as in the Alpine images). */
  readonly busybox: boolean;
  readonly port: number;
  /** Env a cluster's network would supply (emulator host, proxy, CA bundle). */
  readonly infraEnv: Env;
  /**
   * Host directories for volumes a cluster would provide: volume name → dir (Local archives; a claim of the
   * StatefulSet's volumeClaimTemplates, e.g. data, for a pod that is bound to the claim of an earlier one).
   */
  readonly claims: Record<string, string>;
  /** Work directory of this pod (its volumes and log). */
  readonly dir: string;
  /** Container to run. */
  readonly container?: string;
  /** Another container of the same pod, whose volumes this one shares. */
  readonly sharesVolumesWith?: Pod;
  /** The pod's name, its host name (as the kubelet sets it). @default `${name}-0`, a StatefulSet's first pod */
  readonly hostname?: string;
  /**
   * The names the cluster's DNS resolves for this pod (name → address, e.g. a member's `db-0.db-pods` →
   * 127.0.0.1), written to the pod's /etc/hosts, which is mounted over the machine's in the pod's mount
   * namespace (as the kubelet mounts a pod's /etc/hosts): the manifest's names stay as they are.
   */
  readonly hosts?: Record<string, string>;
  /** The loopback port that stands for the pod's port 9187 (the metrics container's): only to run that container. */
  readonly metricsPort?: number;
}

/** Makes a busybox applet directory once. */
function busyboxDir(): string {
  const dir = path.join(cacheDir(), 'busybox-bin');
  if (!fs.existsSync(path.join(dir, 'awk'))) {
    fs.mkdirSync(dir, { recursive: true });
    const applets = execFileSync('busybox', ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
    for (const a of applets) {
      if (['busybox'].includes(a)) continue;
      try {
        fs.symlinkSync('/bin/busybox', path.join(dir, a));
      } catch { /* exists */ }
    }
  }
  return dir;
}

/** The PIDs of every process below `root` in the process tree (from /proc: each process's parent). */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    let stat: string;
    try { stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8'); } catch { continue; }
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so read after its last ")".
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(e)]);
  }
  const out: number[] = [];
  const walk = (pid: number): void => {
    for (const c of children.get(pid) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(root);
  return out;
}

export class Pod {
  public proc?: Proc;
  public readonly logFile: string;
  private readonly uid: number;
  private readonly gid: number;
  public readonly volumes: Record<string, string> = {};
  public readonly env: Env;
  public readonly command: string[];
  private readonly mountsFile: string;
  private readonly podSpec: any;
  /** Init containers run once per pod, not at a container restart (as the kubelet does). */
  private initDone = false;

  constructor(public readonly o: PodOptions) {
    const u = userInfo(PG_USER);
    this.uid = u.uid;
    this.gid = u.gid;
    fs.mkdirSync(o.dir, { recursive: true });
    this.logFile = path.join(o.dir, `${o.container ?? (o.kind === 'CronJob' ? 'job' : 'postgres')}.log`);
    const kind = o.kind ?? 'StatefulSet';
    const workload = o.objects.find((x) => x.kind === kind && x.metadata.name === o.name);
    if (!workload) throw new Error(`no ${kind} ${o.name}`);
    const template = kind === 'CronJob' ? workload.spec.jobTemplate.spec.template : workload.spec.template;
    const claimTemplates: any[] = kind === 'CronJob' ? [] : workload.spec.volumeClaimTemplates;
    const podSpec = template.spec;
    this.podSpec = podSpec;
    const c = podSpec.containers.find((x: any) => x.name === (o.container ?? podSpec.containers[0].name));
    if (!c) throw new Error(`${kind} ${o.name} has no container ${o.container}`);
    for (const v of [...podSpec.volumes, ...claimTemplates.map((t: any) => ({ name: t.metadata.name, claimTemplate: true }))]) {
      this.volumes[v.name] = o.sharesVolumesWith?.volumes[v.name] ?? this.materialise(v);
    }
    const mounts = this.mountsOf(c);
    const env: Env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value ?? '']));
    // What the cluster provides: a port and the network; the binaries on the PATH.
    env.PGPORT = String(o.port);
    env.PG_WALG_LISTEN_ADDRESSES = '127.0.0.1';
    // The chosen WAL-G line first: every line installs a binary named wal-g, and the scripts call `wal-g`.
    // A pod with the walg-install init container has no wal-g in its database image: the init container
    // copies it into the pod's volume, and the scripts find it there (PG_WALG_WALG_DIR).
    const copiesWalg = (podSpec.initContainers ?? []).some((x: any) => x.name === 'walg-install');
    const pathDirs = copiesWalg ? [pgBinDir(o.major)] : [o.walgDir, pgBinDir(o.major)];
    if (o.busybox) pathDirs.push(busyboxDir());
    env.PATH = [...pathDirs, '/usr/local/bin', '/usr/bin', '/bin'].join(':');
    Object.assign(env, o.infraEnv);
    if (o.hosts) mounts.push([this.writeHosts(o.hosts), '/etc/hosts', 'ro']);
    this.mountsFile = this.writeMounts(o.container ?? 'postgres', mounts);
    if (c.name === 'metrics' && !c.command) {
      // The exporter image's own entrypoint (the manifest gives no command): postgres_exporter, listening where
      // the harness maps the pod's port 9187 (every pod shares the host's loopback here); and, as for PGPORT,
      // the server's port of this pod in the connection string.
      if (!o.metricsPort) throw new Error(`pod ${o.name}: the metrics container needs a metricsPort`);
      env.DATA_SOURCE_NAME = env.DATA_SOURCE_NAME.replace(/\bport=5432\b/, `port=${o.port}`);
      this.command = [exporterBin(), `--web.listen-address=127.0.0.1:${o.metricsPort}`];
    } else {
      const shell = o.busybox ? ['busybox', 'sh'] : ['/bin/sh'];
      this.command = [...shell, ...c.command.slice(1)];
    }
    // The harness's owner mark (proc.ts OWNER_VAR), last: `env -i` starts the container with exactly this env.
    this.env = marked(env);
  }

  /** A container's volume mounts as [host dir, container path, ro|rw]. */
  private mountsOf(c: any): Array<[string, string, string]> {
    const mounts: Array<[string, string, string]> = [];
    for (const m of c.volumeMounts ?? []) {
      // /tmp stays the host's: the storage servers' CA bundles live there (a cluster would provide
      // them through its network and trust store, not the pod's /tmp).
      if (m.mountPath !== '/tmp') mounts.push([this.volumes[m.name], m.mountPath, m.readOnly ? 'ro' : 'rw']);
    }
    return mounts;
  }

  /** The pod's /etc/hosts: localhost, its own name, and the cluster names it resolves. */
  private writeHosts(hosts: Record<string, string>): string {
    const file = path.join(this.o.dir, `${this.o.container ?? 'postgres'}.hosts`);
    const lines = ['127.0.0.1 localhost', `127.0.0.1 ${this.hostname}`, ...Object.entries(hosts).map(([name, address]) => `${address} ${name}`)];
    fs.writeFileSync(file, lines.join('\n') + '\n');
    fs.chmodSync(file, 0o644);
    return file;
  }

  /** The pod's name, which its host name is. */
  get hostname(): string {
    return this.o.hostname ?? `${this.o.name}-0`;
  }

  /** Writes a mounts file for enter-pod.sh, deepest paths last (e.g. /etc/pg-walg/secrets/auth after /etc/pg-walg/config). */
  private writeMounts(name: string, mounts: Array<[string, string, string]>): string {
    const file = path.join(this.o.dir, `${name}.mounts`);
    const sorted = [...mounts].sort((a, b) => a[1].split('/').length - b[1].split('/').length);
    fs.writeFileSync(file, sorted.map(([src, dst, mode]) => `${src} ${dst} ${mode}`).join('\n') + '\n');
    return file;
  }

  /**
   * Runs the pod's init containers to completion, in order, as the kubelet does before the first start
   * of the pod's containers: each one's own command, env and volume mounts, as the pod's user. The only
   * image an init container here has is WAL-G's: its filesystem is emulated by mounting the WAL-G
   * line's directory where the image keeps the binary (the command names its path).
   */
  private runInitContainers(): void {
    for (const ic of this.podSpec.initContainers ?? []) {
      if (ic.name !== 'walg-install') throw new Error(`init container ${ic.name}: the harness knows only walg-install`);
      const binary: string = ic.command[1];
      if (path.basename(binary) !== 'wal-g') throw new Error(`walg-install copies ${binary}: the harness's WAL-G lines are named wal-g`);
      const mounts = this.mountsOf(ic);
      mounts.push([this.o.walgDir, path.dirname(binary), 'ro']);
      const mountsFile = this.writeMounts(ic.name, mounts);
      const env = Object.fromEntries((ic.env ?? []).map((e: any) => [e.name, e.value ?? '']));
      env.PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
      const r = spawnSync('unshare', ['-m', '-u', '--propagation', 'private', '--', '/bin/sh', path.join(__dirname, 'enter-pod.sh'), mountsFile, String(this.uid), String(this.gid), this.hostname,
        'env', '-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...ic.command], { encoding: 'utf8', env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' }, timeout: 120_000 });
      fs.appendFileSync(this.logFile, `[init ${ic.name}] exit ${r.status}: ${ic.command.join(' ')}\n${r.stdout}${r.stderr}`);
      if (r.status !== 0) throw new Error(`init container ${ic.name} failed (exit ${r.status}): ${r.stderr || r.error?.message}`);
    }
    this.initDone = true;
  }

  private materialise(v: any): string {
    const dir = path.join(this.o.dir, 'volumes', v.name);
    // The claim an earlier pod of the StatefulSet was bound to: a new pod of it (an upgrade) gets that PVC.
    if (v.claimTemplate && this.o.claims[v.name]) return this.o.claims[v.name];
    if (v.persistentVolumeClaim || v.nfs || v.hostPath) {
      const claim = this.o.claims[v.name];
      if (!claim) throw new Error(`volume ${v.name}: no host directory given for ${JSON.stringify(v)}`);
      return claim;
    }
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (v.configMap || v.secret) {
      const kind = v.configMap ? 'ConfigMap' : 'Secret';
      const name = v.configMap?.name ?? v.secret.secretName;
      const obj = this.o.objects.find((x) => x.kind === kind && x.metadata.name === name);
      if (!obj) throw new Error(`volume ${v.name}: ${kind} ${name} is not in the app`);
      const data: Record<string, string> = { ...(obj.data ?? {}), ...(obj.stringData ?? {}) };
      const items: Array<{ key: string; path: string }> = (v.configMap ?? v.secret).items ?? Object.keys(data).map((k) => ({ key: k, path: k }));
      const mode = (v.configMap ?? v.secret).defaultMode ?? 0o644;
      for (const it of items) {
        if (data[it.key] === undefined) throw new Error(`volume ${v.name}: ${kind} ${name} has no key ${it.key}`);
        const f = path.join(dir, it.path);
        fs.writeFileSync(f, data[it.key]);
        fs.chownSync(f, 0, this.gid);
        fs.chmodSync(f, mode);
      }
      fs.chownSync(dir, 0, this.gid);
      fs.chmodSync(dir, 0o750);
      return dir;
    }
    // emptyDir and the data claim: owned by the pod's fsGroup user.
    fs.chownSync(dir, this.uid, this.gid);
    return dir;
  }

  /** Starts the container's command; its stdout and stderr go to logFile. */
  start(): Proc {
    if (!this.o.sharesVolumesWith && !this.initDone) this.runInitContainers();
    const enter = path.join(__dirname, 'enter-pod.sh');
    const args = ['-m', '-u', '--propagation', 'private', '--', '/bin/sh', enter, this.mountsFile, String(this.uid), String(this.gid), this.hostname,
      'env', '-i', ...Object.entries(this.env).map(([k, v]) => `${k}=${v}`), ...this.command];
    this.proc = startProcess('unshare', args, { name: `pod ${this.o.name}`, logFile: this.logFile, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
    return this.proc;
  }

  /**
   * Runs a command in the running container, as `kubectl exec` does: in its mount and UTS namespaces, as
   * its user, with exactly its env. Resolves with the exit code and output (a timeout kills it).
   */
  async exec(command: string[], timeoutMs = 120_000): Promise<RunResult> {
    if (!this.proc?.isRunning()) throw new Error(`exec in pod ${this.hostname}: the container is not running`);
    const shell = this.o.busybox ? ['busybox', 'sh'] : ['/bin/sh'];
    const argv = command[0] === 'sh' ? [...shell, ...command.slice(1)] : command;
    const r = await run('nsenter', ['-t', String(this.proc.pid), '-m', '-u', '--', 'setpriv', `--reuid=${this.uid}`, `--regid=${this.gid}`, '--clear-groups', '--',
      'env', '-i', ...Object.entries(this.env).map(([k, v]) => `${k}=${v}`), ...argv], { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' }, { timeoutMs });
    fs.appendFileSync(this.logFile, `[exec] ${command.join(' ')}: exit ${r.code}\n${r.stdout}${r.stderr}`);
    return r;
  }

  /** Runs the readiness probe of the manifest (pg_isready over TCP) until it succeeds. */
  /**
   * Until the pod's final server accepts connections: over TCP (the servers a pod starts on the way, to
   * push a first backup or to replay WAL, listen on the socket only) and on this pod's own socket (so
   * that no other process on the port can answer for it).
   */
  async waitReady(timeoutMs: number): Promise<void> {
    const proc = this.proc!;
    const isReady = async (host: string) => (await run(path.join(pgBinDir(this.o.major), 'pg_isready'), ['-h', host, '-p', String(this.o.port)], { PATH: process.env.PATH ?? '' })).code === 0;
    await waitFor(async () => await isReady('127.0.0.1') && isReady(this.volumes.run), timeoutMs, { what: `pod ${this.o.name} ready`, proc });
  }

  /** Runs SQL over the pod's socket directory (pg_hba: local trust), returns tuples-only output. */
  async sql(query: string, check = true): Promise<string> {
    const r = await run(path.join(pgBinDir(this.o.major), 'psql'), ['-X', '-At', '-v', 'ON_ERROR_STOP=1', '-h', this.volumes.run, '-p', String(this.o.port), '-U', 'postgres', '-d', 'postgres', '-c', query],
      { PATH: process.env.PATH ?? '' }, { timeoutMs: 60_000 });
    if (check && r.code !== 0) throw new Error(`psql ${query}: ${r.stderr}`);
    return r.stdout.trim();
  }

  /**
   * A psql session over the pod's socket directory that runs the SQL written to its stdin, one statement after
   * the other (each autocommitted unless it says otherwise), printing tuples only; it stops at the first error
   * (ON_ERROR_STOP) and exits once its stdin is ended.
   */
  session(): ChildProcessWithoutNullStreams {
    return spawn(path.join(pgBinDir(this.o.major), 'psql'), ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-h', this.volumes.run, '-p', String(this.o.port), '-U', 'postgres', '-d', 'postgres'],
      { env: { PATH: process.env.PATH ?? '' }, stdio: 'pipe' });
  }

  /** Fast shutdown of the postmaster (SIGINT), then waits for the container to exit. */
  async stop(): Promise<void> {
    const pidFile = path.join(this.volumes.data, 'data', 'postmaster.pid');
    if (fs.existsSync(pidFile)) {
      const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
      try { process.kill(pid, 'SIGINT'); } catch { /* gone */ }
    }
    if (this.proc) {
      const t = setTimeout(() => void this.proc!.stop(5000), 60_000);
      await this.proc.exited;
      clearTimeout(t);
    }
  }

  /**
   * Kills the container as a node loss does: SIGKILL to every process of it at once, nothing shut down
   * (PGDATA stays as a crash leaves it). Every process of the command's tree is frozen (SIGSTOP) until none
   * is left that could fork, then killed: PostgreSQL's children leave the pod's process group (setsid), so
   * a group kill would not reach them. Resolves once every one of them is gone (reaped: a zombie still
   * answers kill(pid, 0), and PostgreSQL would take its PID in postmaster.pid for a live server, which on a
   * lost node it is not); returns how many processes were killed.
   */
  async kill(): Promise<number> {
    const proc = this.proc!;
    const frozen = new Set<number>();
    for (;;) {
      const fresh = [proc.pid, ...descendants(proc.pid)].filter((pid) => !frozen.has(pid));
      if (fresh.length === 0) break;
      for (const pid of fresh) {
        try { process.kill(pid, 'SIGSTOP'); } catch { /* gone */ }
        frozen.add(pid);
      }
    }
    for (const pid of frozen) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
    await proc.exited;
    await waitFor(() => [...frozen].every((pid) => !fs.existsSync(`/proc/${pid}`)), 30_000, { what: `the killed processes of pod ${this.o.name} reaped` });
    return frozen.size;
  }

  /** Waits for the container to exit by itself; returns its exit code. */
  async exit(timeoutMs: number): Promise<number | string> {
    const proc = this.proc!;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((resolve) => { timer = setTimeout(() => resolve('timeout'), timeoutMs); });
    const r = await Promise.race([proc.exited, timeout]);
    clearTimeout(timer);
    if (r === 'timeout') await proc.stop(5000);
    return r;
  }

  log(): string {
    return fs.existsSync(this.logFile) ? fs.readFileSync(this.logFile, 'utf8') : '';
  }
}
