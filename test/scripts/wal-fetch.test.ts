// wal-fetch.sh, the restore_command: PostgreSQL ends recovery at the first file it is told is not in
// the archive (exit 1 to 125), and aborts recovery on an exit above 125. So exit 1 only for a file
// WAL-G says is missing; retry anything else, then exit 255 (the pod restarts and resumes).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { SHELLS, stub, walSegment } from './stub';

const SEG = '000000010000000000000003';

describe.each(SHELLS.map((s) => [s.join(' '), s] as const))('wal-fetch.sh under %s', (_name, shell) => {
  /** Runs wal-fetch.sh for SEG with a wal-g whose wal-fetch runs `body`; returns exit, calls, stderr and whether %p is left. */
  function fetch(body: string, notFoundExit = '1', env: Record<string, string> = {}) {
    const s = stub(`case $1 in wal-fetch)\n${body}\n;; esac`);
    fs.writeFileSync(path.join(s.dir, 'seg'), '');
    walSegment(path.join(s.dir, 'seg'));
    const dest = path.join(s.work, 'RECOVERYXLOG');
    const r = s.run(shell, 'wal-fetch.sh', [SEG, dest], { PG_WALG_FETCH_NOT_FOUND_EXIT: notFoundExit, PG_WALG_FETCH_ATTEMPTS: '3', PG_WALG_FETCH_TIMEOUT: '2', WALE_S3_PREFIX: 's3://walg/pg', ...env });
    return { status: r.status, calls: s.calls().length, stderr: r.stderr, left: fs.existsSync(dest) };
  }
  const whole = 'cp "$STUB_DIR/seg" "$3"';
  // WAL-G's message names the file asked for: the gap check asks for the segments after SEG too.
  const missing = 'echo "ERROR: 2026/11/30 10:04:37.859081 Archive \'$2\' does not exist." >&2; exit 1';
  const refused = 'echo "ERROR: 2026/11/30 RequestError: send request failed caused by: dial tcp 127.0.0.1:9000: connect: connection refused" >&2; exit 1';

  test('a whole segment: 0', () => {
    expect(fetch(whole)).toMatchObject({ status: 0, calls: 1, left: true });
  });
  test('not in the archive, WAL-G 0.2.x and 1.x (exit 1 and the message), nor the next 16 segments: 1, PostgreSQL ends recovery there', () => {
    expect(fetch(missing)).toMatchObject({ status: 1, calls: 17, left: false });
  });
  test('not in the archive, WAL-G 2.0 and later (exit 74 and the message): 1', () => {
    expect(fetch(missing.replace('exit 1', 'exit 74'), '74')).toMatchObject({ status: 1, calls: 17 });
  });
  test('a storage error with WAL-G 0.2.x (exit 1, the code of "missing" too): retried, then 255 — recovery aborts instead of ending early', () => {
    const r = fetch(refused);
    expect(r).toMatchObject({ status: 255, calls: 3 });
    expect(r.stderr).toContain(`wal-fetch ${SEG} failed: wal-g exited 1: ERROR: 2026/11/30 RequestError: send request failed caused by: dial tcp 127.0.0.1:9000: connect: connection refused (attempt 3/3)`);
    expect(r.stderr).toContain(`ERROR: cannot fetch ${SEG} from s3://walg/pg; aborting recovery rather than ending it early (the pod restarts and resumes replay)`);
  });
  test('by default as many attempts as the pod\'s storageAttempts (PG_WALG_ATTEMPTS)', () => {
    expect(fetch(refused, '1', { PG_WALG_FETCH_ATTEMPTS: '', PG_WALG_ATTEMPTS: '4' })).toMatchObject({ status: 255, calls: 4 });
  });
  test('WAL-G\'s own log reaches the server log', () => {
    expect(fetch(refused).stderr).toContain('connect: connection refused\n');
  });
  test('a storage error that passes: the next attempt fetches it, 0', () => {
    expect(fetch(`if [ -f "$STUB_DIR/once" ]; then ${whole}; else : >"$STUB_DIR/once"; ${refused}; fi`)).toMatchObject({ status: 0, calls: 2, left: true });
  });
  test('a wal-g that hangs (unreachable endpoint) is killed by the bound, retried, then 255', () => {
    const r = fetch('exec sleep 30');
    expect(r).toMatchObject({ status: 255, calls: 3 });
    expect(r.stderr).toContain('timed out after 2 s');
  });
  test('exit 0 with a partial segment: removed, retried, then 255', () => {
    const r = fetch('head -c 4096 "$STUB_DIR/seg" >"$3"');
    expect(r).toMatchObject({ status: 255, calls: 3, left: false });
    expect(r.stderr).toContain('RECOVERYXLOG is partial: 4096 bytes of a 1048576-byte WAL segment');
  });
  test.each([
    ['libsodium key missing, lz4 reader', 'ERROR: 2026/11/30 21:48:08.221997 lz4: bad magic number'],
    ['another libsodium key', 'ERROR: 2026/11/30 21:48:14.305539 corrupted chunk'],
    ['brotli reader on ciphertext', 'ERROR: 2026/11/30 21:48:08.547179 cbrotli: RESERVED'],
    ['OpenPGP, another key', 'ERROR: 2026/11/30 21:48:08.547179 openpgp: incorrect key'],
  ])('WAL-G cannot decode the file (%s): 255 at once, saying why, no retry of the same bytes', (_, message) => {
    const r = fetch(`echo "${message}" >&2; exit 1`);
    expect(r).toMatchObject({ status: 255, calls: 1, left: false });
    expect(r.stderr).toContain("cannot decrypt or decompress it: the archive was written with client-side encryption that this storage's settings lack");
    expect(r.stderr).toContain(`ERROR: cannot decode ${SEG} from s3://walg/pg; aborting recovery (another attempt reads the same bytes)`);
  });
  test('exit 0 with nothing written: retried, then 255', () => {
    expect(fetch('exit 0')).toMatchObject({ status: 255, calls: 3 });
  });
  test('an unknown failure with WAL-G 2.0+ (not 74): retried, then 255', () => {
    expect(fetch('echo "ERROR: something else" >&2; exit 1', '74')).toMatchObject({ status: 255, calls: 3 });
  });
});

// The end of the archive's WAL, or a gap in it? A segment WAL-G says is missing ends recovery (exit 1) only
// when none of the next PG_WALG_GAP_PROBE_SEGMENTS segments of its timeline is in the archive either.
describe.each(SHELLS.map((s) => [s.join(' '), s] as const))('wal-fetch.sh\'s gap check under %s', (_name, shell) => {
  /**
   * wal-fetch.sh for `seg` against an archive that holds the segments in `held` (and no other), with a
   * pg_controldata that reports `segSize` (none: no pg_controldata on the PATH).
   */
  function fetch(seg: string, held: string[], env: Record<string, string> = {}, segSize?: number, storage = '') {
    const controldata: Record<string, string> = segSize === undefined ? {} : { pg_controldata: `printf 'pg_control version number:            1300\nBytes per WAL segment:                %s\n' ${segSize}` };
    const s = stub(`case $1 in wal-fetch)
${storage}
case " ${held.join(' ')} " in *" $2 "*) cp "$STUB_DIR/seg" "$3" ;; *) echo "ERROR: 2026/11/30 10:04:37.859081 Archive '$2' does not exist." >&2; exit 1 ;; esac
;; esac`, controldata);
    walSegment(path.join(s.dir, 'seg'));
    const dest = path.join(s.work, 'RECOVERYXLOG');
    const r = s.run(shell, 'wal-fetch.sh', [seg, dest], { PG_WALG_FETCH_NOT_FOUND_EXIT: '1', PG_WALG_FETCH_ATTEMPTS: '2', PG_WALG_RETRY_SECONDS: '0', PG_WALG_FETCH_TIMEOUT: '2', PGDATA: s.work, WALE_S3_PREFIX: 's3://walg/pg', ...env });
    return { status: r.status, calls: s.calls().map((c) => c.split(' ').slice(0, 2).join(' ')), stderr: r.stderr, left: fs.existsSync(dest) };
  }
  const K = '000000010000000000000003';
  const next = (n: number) => `0000000100000000${n.toString(16).toUpperCase().padStart(8, '0')}`;

  test('the end of the archive (none of the next 16 there): 1, after looking for each of them once', () => {
    const r = fetch(K, [next(1), next(2)]);
    expect(r).toMatchObject({ status: 1, left: false });
    expect(r.calls).toEqual([`wal-fetch ${K}`, ...Array.from({ length: 16 }, (_, i) => `wal-fetch ${next(4 + i)}`)]);
  });
  test('a gap: the segment is missing but the next one is there: retried, then 255 naming both', () => {
    const r = fetch(K, [next(4)]);
    expect(r).toMatchObject({ status: 255, left: false });
    expect(r.calls).toEqual([`wal-fetch ${K}`, `wal-fetch ${next(4)}`, `wal-fetch ${K}`, `wal-fetch ${next(4)}`]);
    expect(r.stderr).toContain(`wal-fetch ${K} is not in the archive, but the later segment ${next(4)} is (attempt 1/2)`);
    expect(r.stderr).toContain(`ERROR: WAL segment ${K} is not in s3://walg/pg, but the later segment ${next(4)} is: the archive's WAL has a gap there, and replay cannot go past it. Aborting recovery rather than ending it at ${K} with every later commit lost (the pod restarts and tries again). Put the segment back in the archive, or restore to a recovery target before it.`);
  });
  test('a gap of several segments, within the probe: 255', () => {
    expect(fetch(K, [next(19)])).toMatchObject({ status: 255 });
  });
  test('a gap longer than the probe is not seen here (wal-verify sees it): 1', () => {
    expect(fetch(K, [next(20)])).toMatchObject({ status: 1 });
  });
  test('PG_WALG_GAP_PROBE_SEGMENTS sets how far it looks', () => {
    expect(fetch(K, [next(20)], { PG_WALG_GAP_PROBE_SEGMENTS: '17' })).toMatchObject({ status: 255 });
    expect(fetch(K, [next(5)], { PG_WALG_GAP_PROBE_SEGMENTS: '1' })).toMatchObject({ status: 1 });
  });
  test('a segment uploaded behind a later one (WAL-G pushes several at once): the next attempt fetches it, 0', () => {
    const r = fetch(K, [next(4)], {}, undefined, `if [ "$2" = ${K} ] && [ -f "$STUB_DIR/once" ]; then cp "$STUB_DIR/seg" "$3"; exit 0; fi; [ "$2" = ${K} ] && : >"$STUB_DIR/once"`);
    expect(r).toMatchObject({ status: 0, left: true });
  });
  test('the storage fails while it looks: it cannot tell a gap from the end, so retried, then 255', () => {
    const r = fetch(K, [], {}, undefined, `[ "$2" = ${next(6)} ] && { echo "ERROR: 2026/11/30 connection refused" >&2; exit 1; }`);
    expect(r).toMatchObject({ status: 255 });
    expect(r.stderr).toContain(`cannot tell whether ${K} is the end of the archive's WAL: looking for ${next(6)}, failed: wal-g exited 1: ERROR: 2026/11/30 connection refused`);
    expect(r.stderr).toContain(`ERROR: cannot fetch ${K} from s3://walg/pg; aborting recovery rather than ending it early`);
  });
  test('the next log: segment FF of a 16 MiB cluster is followed by segment 0 of the next log', () => {
    const last = '0000000100000002000000FF';
    const r = fetch(last, ['000000010000000300000000'], {}, 16 * 1024 * 1024);
    expect(r).toMatchObject({ status: 255 });
    expect(r.calls[1]).toBe('wal-fetch 000000010000000300000000');
  });
  test('the segment size comes from pg_controldata: 1 GiB segments, 4 to a log', () => {
    const r = fetch('000000010000000200000003', ['000000010000000300000000'], {}, 1024 * 1024 * 1024);
    expect(r).toMatchObject({ status: 255 });
    expect(r.calls[1]).toBe('wal-fetch 000000010000000300000000');
  });
  test('only the same timeline counts: a later timeline\'s segment is no gap', () => {
    expect(fetch(K, ['000000020000000000000004'])).toMatchObject({ status: 1 });
  });
  test('pg_wal holds the segment whole (a standby being promoted streamed it): 1 at once, PostgreSQL reads it there', () => {
    const s = stub(`case $1 in wal-fetch) [ "$2" = ${next(4)} ] && { cp "$STUB_DIR/seg" "$3"; exit 0; }; echo "ERROR: 2026/11/30 10:04:37.859081 Archive '$2' does not exist." >&2; exit 1 ;; esac`);
    walSegment(path.join(s.dir, 'seg'));
    fs.mkdirSync(path.join(s.work, 'pg_wal'));
    const run = () => s.run(shell, 'wal-fetch.sh', [K, path.join(s.work, 'pg_wal', 'RECOVERYXLOG')], { PG_WALG_FETCH_NOT_FOUND_EXIT: '1', PG_WALG_FETCH_ATTEMPTS: '1', PGDATA: s.work, PG_WALG_STATE: s.work, WALE_S3_PREFIX: 's3://walg/pg' });
    // A partial copy there does not count: the gap is found.
    walSegment(path.join(s.work, 'pg_wal', K), 4096, 1024 * 1024);
    expect(run().status).toBe(255);
    walSegment(path.join(s.work, 'pg_wal', K));
    expect(run().status).toBe(1);
  });
  test('a history file that is not there: 1 at once (no segment comes after it)', () => {
    const r = fetch('00000002.history', [next(4)]);
    expect(r).toMatchObject({ status: 1, calls: ['wal-fetch 00000002.history'] });
  });
  test('a hot standby never ends recovery at a missing file, so it does not look: 1 at once, even before a later segment', () => {
    const st = stub(`case $1 in wal-fetch) [ "$2" = ${next(4)} ] && { cp "$STUB_DIR/seg" "$3"; exit 0; }; echo "ERROR: 2026/11/30 10:04:37.859081 Archive '$2' does not exist." >&2; exit 1 ;; esac`);
    walSegment(path.join(st.dir, 'seg'));
    const r = st.run(shell, 'wal-fetch.sh', [K, path.join(st.work, 'x'), 'standby'], { PG_WALG_FETCH_NOT_FOUND_EXIT: '1', PGDATA: st.work, PG_WALG_STATE: st.work, WALE_S3_PREFIX: 's3://walg/pg' });
    expect(r.status).toBe(1);
    expect(st.calls()).toHaveLength(1);
  });
});

// The fast path (serve_prefetched in lib.sh): a segment that WAL-G's prefetch already downloaded whole,
// into <dir of %p>/.wal-g/prefetch/, is renamed to %p without starting wal-g; anything else goes to wal-g
// wal-fetch as before. A file there may be partial (WAL-G 0.2.14 and later rename a download there also
// when it failed half-way), so it is held to the same check as a file that wal-g wrote.
describe.each(SHELLS.map((s) => [s.join(' '), s] as const))('wal-fetch.sh\'s fast path under %s', (_name, shell) => {
  const NEXT = '000000010000000000000004';
  interface Case {
    /** Files to make under pg_wal/.wal-g/prefetch (name → content maker); "running/NAME" for a download in progress. */
    readonly prefetched?: Record<string, (f: string) => void>;
    /** What the stand-in wal-g wal-fetch does (default: writes a whole segment). */
    readonly fetch?: string;
    /** What the stand-in wal-g wal-prefetch does (default: nothing). */
    readonly prefetch?: string;
    readonly env?: Record<string, string>;
    readonly file?: string;
  }
  /** Runs wal-fetch.sh for SEG (or file) with %p = pg_wal/RECOVERYXLOG, as PostgreSQL does, from PGDATA. */
  function run(c: Case = {}) {
    const s = stub(`case $1 in\nwal-fetch)\n${c.fetch ?? 'cp "$STUB_DIR/seg" "$3"'}\n;;\nwal-prefetch)\n${c.prefetch ?? ':'}\n;;\nesac`);
    walSegment(path.join(s.dir, 'seg'));
    const pgWal = path.join(s.work, 'pg_wal');
    const dir = path.join(pgWal, '.wal-g', 'prefetch');
    fs.mkdirSync(path.join(dir, 'running'), { recursive: true });
    for (const [name, make] of Object.entries(c.prefetched ?? {})) make(path.join(dir, name));
    const dest = path.join(pgWal, 'RECOVERYXLOG');
    // stderr to a file, as PostgreSQL's server log: a background wal-prefetch keeps it open after the
    // script has exited (PostgreSQL waits for the script only; a pipe would make spawnSync wait for both).
    const errFile = path.join(s.dir, 'stderr');
    s.config('wrap.sh', `${shell.join(' ')} "$PG_WALG_CONFIG/wal-fetch.sh" "$@" 2>>"${errFile}"\n`);
    const fetchOnce = (file: string, env: Record<string, string> = {}) => {
      const res = s.run(['sh'], 'wrap.sh', [file, dest], { PG_WALG_FETCH_ATTEMPTS: '2', PG_WALG_FETCH_TIMEOUT: '5', WALE_S3_PREFIX: 's3://walg/pg', ...c.env, ...env });
      return { status: res.status, stderr: fs.existsSync(errFile) ? fs.readFileSync(errFile, 'utf8') : '' };
    };
    const r = fetchOnce(c.file ?? SEG);
    const fetches = () => s.calls().filter((l) => l.startsWith('wal-fetch '));
    const prefetches = () => s.calls().filter((l) => l.startsWith('wal-prefetch '));
    const left = (name: string) => fs.existsSync(path.join(dir, name));
    const served = fs.existsSync(dest) ? fs.readFileSync(dest) : undefined;
    return { r, s, dest, dir, served, fetches, prefetches, left, fetchOnce };
  }
  /** Waits (at most 10 s) until the background wal-prefetch, if any was started, has ended. */
  function settle(dir: string): void {
    const pidFile = path.join(dir, '..', 'pg-walg-prefetch.pid');
    const deadline = Date.now() + 10_000;
    while (fs.existsSync(pidFile) && Date.now() < deadline) {
      try {
        process.kill(Number(fs.readFileSync(pidFile, 'utf8').trim()), 0);
      } catch {
        return;
      }
      spawnSync('sleep', ['0.1']);
    }
  }
  const whole = (f: string) => walSegment(f);

  test('a whole prefetched segment: renamed to %p without starting wal-g wal-fetch, 0', () => {
    const { r, served, fetches, left, dir } = run({ prefetched: { [SEG]: whole } });
    settle(dir);
    expect(r.status).toBe(0);
    expect(fetches()).toEqual([]);
    expect(left(SEG)).toBe(false);
    const expected = path.join(dir, 'expected');
    walSegment(expected);
    expect(served?.equals(fs.readFileSync(expected))).toBe(true);
    expect(r.stderr).toBe('');
  });

  test.each([
    ['partial (a download that failed half-way, renamed anyway)', (f: string) => walSegment(f, 512 * 1024, 1024 * 1024), 'is partial: 524288 bytes of a 1048576-byte WAL segment'],
    ['empty', (f: string) => fs.writeFileSync(f, ''), 'is missing or empty'],
    ['shorter than a page header', (f: string) => fs.writeFileSync(f, 'x'.repeat(20)), 'is partial: 20 bytes, shorter than a WAL page header'],
    ['without the WAL magic', (f: string) => fs.writeFileSync(f, Buffer.alloc(1024 * 1024)), 'does not start with a WAL page header (magic 0)'],
  ])('a prefetched copy that is %s is not served: removed, and wal-g fetches the segment', (_what, make, why) => {
    const { r, served, fetches, left } = run({ prefetched: { [SEG]: make } });
    expect(r.status).toBe(0);
    expect(fetches()).toEqual([expect.stringMatching(new RegExp(`^wal-fetch ${SEG} .*/pg_wal/RECOVERYXLOG$`))]);
    expect(left(SEG)).toBe(false);
    expect(r.stderr).toContain(`the copy of ${SEG} that WAL-G prefetched is not whole (`);
    expect(r.stderr).toContain(why);
    expect(served?.length).toBe(1024 * 1024);
  });

  test('a partial prefetched copy is never handed to PostgreSQL: when wal-g then fails too, 255 and %p is gone', () => {
    const { r, served, fetches } = run({
      prefetched: { [SEG]: (f) => walSegment(f, 512 * 1024, 1024 * 1024) },
      fetch: 'echo "ERROR: 2026/11/30 RequestError: send request failed caused by: connect: connection refused" >&2; exit 1',
    });
    expect(r.status).toBe(255);
    expect(fetches()).toHaveLength(2);
    expect(served).toBeUndefined();
  });

  test('a partial prefetched copy of a segment WAL-G then says is not in the archive: 1, only because WAL-G said so', () => {
    const { r, served, fetches } = run({
      prefetched: { [SEG]: (f) => walSegment(f, 4096, 1024 * 1024) },
      fetch: 'echo "ERROR: 2026/11/30 10:04:37.859081 Archive \'$2\' does not exist." >&2; exit 1',
      env: { PG_WALG_GAP_PROBE_SEGMENTS: '2' },
    });
    expect(r.status).toBe(1);
    // SEG, then the two segments after it (the gap check: neither is there either).
    expect(fetches()).toHaveLength(3);
    expect(served).toBeUndefined();
  });

  test('a download still in progress (running/) is left to wal-g', () => {
    const { r, fetches, left } = run({ prefetched: { [`running/${SEG}`]: whole } });
    expect(r.status).toBe(0);
    expect(fetches()).toHaveLength(1);
    expect(left(`running/${SEG}`)).toBe(true);
  });

  test('a link in the prefetch directory is not followed: left to wal-g', () => {
    const { r, fetches, left } = run({ prefetched: { target: whole, [SEG]: (f) => fs.symlinkSync('target', f) } });
    expect(r.status).toBe(0);
    expect(fetches()).toHaveLength(1);
    expect(left(SEG)).toBe(true);
  });

  test('a history file is always fetched with wal-g (WAL-G never prefetches one)', () => {
    const { r, fetches } = run({ file: '00000002.history', prefetched: { '00000002.history': (f) => fs.writeFileSync(f, '1\t0/3000000\tno recovery target specified\n') } });
    expect(r.status).toBe(0);
    expect(fetches()).toEqual([expect.stringMatching(/^wal-fetch 00000002\.history /)]);
  });

  test.each([
    ['PG_WALG_SERVE_PREFETCHED=off', { PG_WALG_SERVE_PREFETCHED: 'off' }],
    ['prefetch off (WALG_DOWNLOAD_CONCURRENCY=1)', { WALG_DOWNLOAD_CONCURRENCY: '1' }],
    ['WALG_DOWNLOAD_CONCURRENCY not a number', { WALG_DOWNLOAD_CONCURRENCY: 'lots' }],
    ['WALG_DOWNLOAD_CONCURRENCY with a leading zero (octal to the shell)', { WALG_DOWNLOAD_CONCURRENCY: '08' }],
    ['WALG_DOWNLOAD_CONCURRENCY too large for the shell', { WALG_DOWNLOAD_CONCURRENCY: '99999999999999999999' }],
    ['WALG_PREFETCH_DIR set (WAL-G 0.2.22 to 3.0.5 prefetch there but look elsewhere)', { WALG_PREFETCH_DIR: '/var/prefetch' }],
  ])('off with %s: every segment through wal-g', (_what, env) => {
    const { r, fetches, left } = run({ prefetched: { [SEG]: whole }, env });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(fetches()).toHaveLength(1);
    expect(left(SEG)).toBe(true);
  });

  // Keeping the prefetch going: wal-g wal-fetch starts `wal-g wal-prefetch FILE %p` after every fetch;
  // the fast path starts it only when the queue runs low.
  const ahead = (names: string[]) => Object.fromEntries(names.map((n) => [n, whole]));
  test('with no more than half of WALG_DOWNLOAD_CONCURRENCY queued, it starts wal-g wal-prefetch in the background', () => {
    const { r, dir, prefetches } = run({ prefetched: { [SEG]: whole, ...ahead([NEXT, 'running/000000010000000000000005']) }, env: { WALG_DOWNLOAD_CONCURRENCY: '4' } });
    settle(dir);
    expect(r.status).toBe(0);
    expect(prefetches()).toEqual([expect.stringMatching(new RegExp(`^wal-prefetch ${SEG} .*/pg_wal/RECOVERYXLOG$`))]);
  });
  test('with more than half queued, no wal-g at all', () => {
    const { r, dir, prefetches, fetches } = run({
      prefetched: { [SEG]: whole, ...ahead([NEXT, '000000010000000000000005', 'running/000000010000000000000006']) },
      env: { WALG_DOWNLOAD_CONCURRENCY: '4' },
    });
    settle(dir);
    expect(r.status).toBe(0);
    expect(fetches()).toEqual([]);
    expect(prefetches()).toEqual([]);
  });
  test('only later segments of the same timeline count as queued (names compared as strings)', () => {
    // Older segments, another timeline, and other files are not ahead of SEG: 0 of 4 queued.
    const { dir, prefetches } = run({
      prefetched: { [SEG]: whole, ...ahead(['000000010000000000000002', '000000020000000000000005', '000000020000000000000006', '000000010000000000000004.partial', '00000002.history']) },
      env: { WALG_DOWNLOAD_CONCURRENCY: '4' },
    });
    settle(dir);
    expect(prefetches()).toHaveLength(1);
  });
  test('names of digits only compare as names: 2 of 2 queued right after SEG start none', () => {
    // As numbers, 000000010000000000000003 and 000000010000000000000004 are the same double.
    const { dir, prefetches } = run({ prefetched: { [SEG]: whole, ...ahead([NEXT, '000000010000000000000005']) }, env: { WALG_DOWNLOAD_CONCURRENCY: '2' } });
    settle(dir);
    expect(prefetches()).toEqual([]);
  });
  test('by default (WALG_DOWNLOAD_CONCURRENCY unset: WAL-G\'s 10), 5 queued starts one, 6 do not', () => {
    const names = (n: number) => Array.from({ length: n }, (_, i) => `0000000100000000000000${(0x04 + i).toString(16).toUpperCase().padStart(2, '0')}`);
    const five = run({ prefetched: { [SEG]: whole, ...ahead(names(5)) } });
    settle(five.dir);
    expect(five.prefetches()).toHaveLength(1);
    const six = run({ prefetched: { [SEG]: whole, ...ahead(names(6)) } });
    settle(six.dir);
    expect(six.prefetches()).toHaveLength(0);
  });
  test('one background prefetch at a time: none is started while the last one runs', () => {
    // The first call starts a wal-prefetch that runs until released; the second call, for the next
    // segment, finds it running.
    const { s, dir, dest, prefetches, fetches, r, fetchOnce } = run({
      prefetched: { [SEG]: whole, [NEXT]: whole }, prefetch: 'while [ ! -f "$STUB_DIR/release" ]; do sleep 0.1; done', env: { PG_WALG_FETCH_TIMEOUT: '30' },
    });
    expect(r.status).toBe(0);
    fs.rmSync(dest);
    const r2 = fetchOnce(NEXT);
    fs.writeFileSync(path.join(s.dir, 'release'), '');
    settle(dir);
    expect(r2.status).toBe(0);
    expect(fs.existsSync(dest)).toBe(true);
    expect(fetches()).toEqual([]);
    expect(prefetches()).toEqual([expect.stringMatching(new RegExp(`^wal-prefetch ${SEG} `))]);
  });
  test('a background prefetch that hangs is stopped by the time bound', () => {
    const { dir, s, prefetches, r } = run({ prefetched: { [SEG]: whole }, prefetch: 'exec sleep 30', env: { PG_WALG_FETCH_TIMEOUT: '1' } });
    expect(r.status).toBe(0);
    settle(dir);
    // bounded's note, in the server log, once it has stopped the hung wal-g (a sleep of 30 s).
    expect(fs.readFileSync(path.join(s.dir, 'stderr'), 'utf8')).toBe('timed out after 1 s\n');
    expect(prefetches()).toHaveLength(1);
  });
});
