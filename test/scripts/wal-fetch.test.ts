// wal-fetch.sh, the restore_command: PostgreSQL ends recovery at the first file it is told is not in
// the archive (exit 1 to 125), and aborts recovery on an exit above 125. So exit 1 only for a file
// WAL-G says is missing; retry anything else, then exit 255 (the pod restarts and resumes).
import * as fs from 'fs';
import * as path from 'path';
import { notInArchive, SHELLS, stub, walSegment } from './stub';

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
  const missing = `printf '%s' "${notInArchive(SEG).trim()}" >&2; exit 1`;
  const refused = 'echo "ERROR: 2026/11/30 RequestError: send request failed caused by: dial tcp 127.0.0.1:9000: connect: connection refused" >&2; exit 1';

  test('a whole segment: 0', () => {
    expect(fetch(whole)).toMatchObject({ status: 0, calls: 1, left: true });
  });
  test('not in the archive, WAL-G 0.2.x and 1.x (exit 1 and the message): 1, PostgreSQL ends recovery there', () => {
    expect(fetch(missing)).toMatchObject({ status: 1, calls: 1, left: false });
  });
  test('not in the archive, WAL-G 2.0 and later (exit 74 and the message): 1', () => {
    expect(fetch(`printf '%s' "${notInArchive(SEG).trim()}" >&2; exit 74`, '74')).toMatchObject({ status: 1, calls: 1 });
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
