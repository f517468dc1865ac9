/**
 * Background processes for the e2e harness: start with output to a log file,
 * stop by PID (SIGTERM, then SIGKILL to the whole process group), a registry
 * that stops everything when the Node process exits, readiness polling, and
 * running commands as the unprivileged PostgreSQL user.
 */
import { spawn, ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export type Env = Record<string, string>;

/**
 * The variable that marks every process a harness starts, its value the harness's results directory (set by the
 * harness's main process and inherited by its children): a sweep of leftovers (killOwnedLeftovers) kills the
 * processes of its own runs and never another harness's that runs beside it as the same test user (CI runs
 * bench:smoke beside e2e:ci; a user-wide `pkill -u` at the end of e2e:ci killed the bench's pods).
 */
export const OWNER_VAR = 'PG_WALG_TEST_OWNER';

/** env with this harness's owner mark added (unchanged when the harness sets none). */
export function marked<T extends Env | NodeJS.ProcessEnv>(env: T): T {
  const owner = process.env[OWNER_VAR];
  return owner ? { ...env, [OWNER_VAR]: owner } : env;
}

/**
 * SIGKILLs every process of `user` that carries this harness's owner mark (leftovers of an interrupted run into the
 * same results directory: a postmaster, a hung wal-g), except this process and its ancestors. Returns how many.
 */
export function killOwnedLeftovers(user: string): number {
  const owner = process.env[OWNER_VAR];
  if (!owner) return 0;
  const uid = String(userInfo(user).uid);
  const mark = `${OWNER_VAR}=${owner}`;
  const spared = new Set<number>();
  for (let pid = process.pid; pid > 1 && !spared.has(pid);) {
    spared.add(pid);
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      pid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch { break; }
  }
  let killed = 0;
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || spared.has(Number(e))) continue;
    try {
      const realUid = /^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${e}/status`, 'utf8'))?.[1];
      if (realUid !== uid) continue;
      if (!fs.readFileSync(`/proc/${e}/environ`, 'utf8').split('\0').includes(mark)) continue;
      process.kill(Number(e), 'SIGKILL');
      killed++;
    } catch { /* gone, or not readable */ }
  }
  return killed;
}

export interface StartOptions {
  /** Log file for stdout+stderr (appended). Default: <tmpdir>/<name>-<pid>.log */
  logFile?: string;
  /** Exact environment of the child (nothing is inherited unless you pass it). Default: process.env. */
  env?: Env | NodeJS.ProcessEnv;
  cwd?: string;
  /** Run as this user (via setpriv, needs root unless it is the current user). */
  user?: string;
  /** Label used in logs and errors. Default: basename of cmd. */
  name?: string;
  /** Leave running when the registry stops everything (default false). */
  keep?: boolean;
  /** Write the PID here (default: <logFile>.pid). */
  pidFile?: string;
}

export interface Proc {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  readonly cmdline: string;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  isRunning(): boolean;
  /** SIGTERM the process group, SIGKILL after timeoutMs; resolves when gone. Idempotent. */
  stop(timeoutMs?: number): Promise<void>;
  /** Last `lines` lines of the log file. */
  logTail(lines?: number): string;
  /** Starts the same command again (same args, env, log file), e.g. after stop() in a fault test. */
  respawn(): Proc;
}

const registry = new Set<ProcImpl>();
let handlersInstalled = false;

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  // 'exit' handlers must be synchronous: SIGKILL the groups outright.
  process.on('exit', () => killAllSync('SIGKILL'));
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      killAllSync('SIGTERM');
      killAllSync('SIGKILL');
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
}

function killAllSync(sig: NodeJS.Signals): void {
  for (const p of registry) {
    if (!p.keep) p.signal(sig);
  }
}

/** Stops every registered process (in reverse start order). */
export async function stopAll(timeoutMs = 10_000): Promise<void> {
  const procs = [...registry].filter((p) => !p.keep).reverse();
  await Promise.all(procs.map((p) => p.stop(timeoutMs)));
}

/** Processes started by this module and not yet stopped. */
export function running(): Proc[] {
  return [...registry].filter((p) => p.isRunning());
}

class ProcImpl implements Proc {
  readonly exited: Promise<number | string>;
  private done = false;

  constructor(
    readonly name: string,
    child: ChildProcess,
    readonly pid: number,
    readonly logFile: string,
    readonly cmdline: string,
    readonly keep: boolean,
    private readonly again: () => Proc,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.done = true;
        registry.delete(this);
        resolve(code ?? signal ?? 'unknown');
      });
    });
  }

  isRunning(): boolean {
    return !this.done;
  }

  /** Sends sig to the process group (child was started detached = group leader) and the pid. */
  signal(sig: NodeJS.Signals): void {
    for (const target of [-this.pid, this.pid]) {
      try { process.kill(target, sig); } catch { /* already gone */ }
    }
  }

  async stop(timeoutMs = 10_000): Promise<void> {
    if (this.done) {
      // The leader is gone, children in its group may not be.
      this.signal('SIGKILL');
      return;
    }
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), timeoutMs);
    try {
      await this.exited;
    } finally {
      clearTimeout(timer);
    }
    this.signal('SIGKILL'); // leftovers in the group
  }

  logTail(lines = 40): string {
    return tailFile(this.logFile, lines);
  }

  respawn(): Proc {
    return this.again();
  }
}

export function tailFile(file: string, lines = 40): string {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.split('\n').slice(-lines - 1).join('\n');
  } catch {
    return '';
  }
}

/** Starts cmd in the background (own process group), output to a log file. */
export function startProcess(cmd: string, args: string[], opts: StartOptions = {}): Proc {
  installHandlers();
  const name = opts.name ?? path.basename(cmd);
  const [realCmd, realArgs] = opts.user ? asUserCommand(opts.user, cmd, args) : [cmd, args];
  const logFile = opts.logFile ?? path.join(os.tmpdir(), `${name}-${process.pid}-${Date.now()}.log`);
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const fd = fs.openSync(logFile, 'a');
  const cmdline = [realCmd, ...realArgs].map(shellQuote).join(' ');
  fs.writeSync(fd, `# ${new Date().toISOString()} ${cmdline}\n`);
  let child: ChildProcess;
  try {
    child = spawn(realCmd, realArgs, {
      cwd: opts.cwd,
      env: marked(opts.env ?? process.env) as NodeJS.ProcessEnv,
      stdio: ['ignore', fd, fd],
      detached: true,
    });
  } finally {
    fs.closeSync(fd);
  }
  if (child.pid === undefined) {
    throw new Error(`failed to start ${cmdline}`);
  }
  // Do not keep the event loop alive just for this child.
  child.unref();
  child.on('error', () => { /* reported through exit / readiness */ });
  fs.writeFileSync(opts.pidFile ?? `${logFile}.pid`, `${child.pid}\n`);
  const p = new ProcImpl(name, child, child.pid, logFile, cmdline, opts.keep ?? false, () => startProcess(cmd, args, { ...opts, logFile }));
  registry.add(p);
  return p;
}

export interface WaitForOptions {
  /** Poll interval (default 100 ms, grows to at most 1 s). */
  intervalMs?: number;
  /** What is being waited for, for the error message. */
  what?: string;
  /** Fail at once (with its log tail) if this process exits while waiting. */
  proc?: Proc;
}

/**
 * Polls check() until it returns a truthy value (which is returned), or throws
 * after timeoutMs. Exceptions thrown by check() count as "not yet".
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  timeoutMs: number,
  opts: WaitForOptions = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let interval = opts.intervalMs ?? 100;
  let lastError: unknown;
  for (;;) {
    if (opts.proc && !opts.proc.isRunning()) {
      throw new Error(`${opts.proc.name} exited while waiting for ${opts.what ?? 'readiness'}\n` +
        `log ${opts.proc.logFile}:\n${opts.proc.logTail()}`);
    }
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() >= deadline) {
      const why = lastError instanceof Error ? `: ${lastError.message}` : '';
      const log = opts.proc ? `\nlog ${opts.proc.logFile}:\n${opts.proc.logTail()}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${opts.what ?? 'condition'}${why}${log}`);
    }
    await new Promise((r) => setTimeout(r, Math.min(interval, Math.max(1, deadline - Date.now()))));
    interval = Math.min(interval * 1.5, 1000);
  }
}

// ------------------------------------------------------------------ users ---

export interface UserInfo { name: string; uid: number; gid: number; home: string }

export function userInfo(user: string): UserInfo {
  for (const line of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const f = line.split(':');
    if (f[0] === user && f.length >= 7) {
      return { name: user, uid: Number(f[2]), gid: Number(f[3]), home: f[5] };
    }
  }
  throw new Error(`user ${user} does not exist (run tools/install.sh)`);
}

function currentUserName(): string {
  return os.userInfo().username;
}

/** [cmd, args] that runs cmd as user with exactly the environment given to spawn(). */
export function asUserCommand(user: string, cmd: string, args: string[]): [string, string[]] {
  if (user === currentUserName()) return [cmd, args];
  if (process.getuid?.() !== 0) {
    throw new Error(`running as ${user} needs root (current user: ${currentUserName()})`);
  }
  const u = userInfo(user);
  // setpriv (util-linux) changes uid/gid/groups and leaves the environment alone
  // (runuser/su would reset PATH, HOME, ...).
  return ['/usr/bin/setpriv', [`--reuid=${u.uid}`, `--regid=${u.gid}`, '--init-groups', '--', cmd, ...args]];
}

/** Base environment for a command run as user: HOME/USER/LOGNAME of that user plus a sane PATH. */
export function userBaseEnv(user: string): Env {
  const u = userInfo(user);
  return {
    HOME: u.home,
    USER: u.name,
    LOGNAME: u.name,
    PATH: '/usr/local/bin:/usr/bin:/bin',
    LANG: 'C.UTF-8',
    TZ: 'UTC',
  };
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time in ms. */
  ms: number;
}

export interface RunOptions {
  cwd?: string;
  /** Kill (SIGKILL, whole group) after this many ms; default 120 s. */
  timeoutMs?: number;
  /** Throw unless the exit code is 0. */
  check?: boolean;
  input?: string;
  /**
   * After the command exits, SIGKILL whatever is left in its process group
   * (default true). wal-g wal-fetch, for instance, forks a `wal-g wal-prefetch`
   * child (unless WALG_DOWNLOAD_CONCURRENCY=1) that outlives it and keeps its
   * stdout/stderr open.
   */
  killGroupOnExit?: boolean;
}

/**
 * Runs cmd as user with exactly `env` (nothing inherited: pass userBaseEnv(user)
 * merged with what the command needs). Never blocks the event loop, so servers
 * running in this process keep answering.
 */
export function runAs(user: string, cmd: string, args: string[], env: Env, opts: RunOptions = {}): Promise<RunResult> {
  const [realCmd, realArgs] = asUserCommand(user, cmd, args);
  return run(realCmd, realArgs, env, opts, [cmd, ...args].join(' '));
}

/** Runs cmd as the current user with exactly `env`. */
export function run(cmd: string, args: string[], env: Env | NodeJS.ProcessEnv, opts: RunOptions = {}, label?: string): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: marked(env) as NodeJS.ProcessEnv,
      stdio: [opts.input !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    const timer = setTimeout(() => {
      try { process.kill(-(child.pid ?? 0), 'SIGKILL'); } catch { /* gone */ }
    }, opts.timeoutMs ?? 120_000);
    let settled = false;
    let exitMs = 0;
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (opts.killGroupOnExit ?? true) {
        try { process.kill(-(child.pid ?? 0), 'SIGKILL'); } catch { /* nothing left */ }
      }
      const r: RunResult = { code, signal, stdout, stderr, ms: exitMs || Date.now() - started };
      if (opts.check && code !== 0) {
        reject(new Error(`${label ?? [cmd, ...args].join(' ')} failed (code ${code}, signal ${signal})\n` +
          `stdout:\n${stdout.slice(-4000)}\nstderr:\n${stderr.slice(-4000)}`));
      } else {
        resolve(r);
      }
    };
    child.once('error', (e) => { clearTimeout(timer); settled = true; reject(e); });
    // 'close' waits for stdout/stderr to close, which a forked grandchild may hold
    // open: resolve on 'exit' plus a short grace period for the last output.
    child.once('exit', (code, signal) => {
      exitMs = Date.now() - started;
      setTimeout(() => finish(code, signal), 500);
    });
    child.once('close', (code, signal) => finish(code, signal));
  });
}

/**
 * mkdtemp under os.tmpdir() owned by user (mode 0700 unless given), for
 * PGDATA, local storage dirs, etc.
 */
export function mkdtempFor(user: string, prefix: string, mode = 0o700): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  chownFor(user, dir);
  fs.chmodSync(dir, mode);
  return dir;
}

/** chown path (recursively if a directory) to user. No-op if user is the current user. */
export function chownFor(user: string, p: string): void {
  if (user === currentUserName()) return;
  const u = userInfo(user);
  const walk = (q: string): void => {
    fs.lchownSync(q, u.uid, u.gid);
    const st = fs.lstatSync(q);
    if (st.isDirectory()) for (const e of fs.readdirSync(q)) walk(path.join(q, e));
  };
  walk(p);
}

export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_\-+=/.,:@%]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
