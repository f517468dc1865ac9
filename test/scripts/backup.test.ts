// backup.sh, the walg-backup sidecar: besides pushing scheduled base backups, it notices a WAL-G that
// reports success without storing anything, for base backups and for WAL segments.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { SHELLS, stub, walSegment } from './stub';

const SEG = '000000010000000000000003';

describe.each(SHELLS.map((s) => [s.join(' '), s] as const))('backup.sh under %s', (_name, shell) => {
  /** Runs the sidecar for `seconds` against a primary (or, recovery 't', a standby) whose last archived segment is SEG. */
  function sidecar(walg: string, env: Record<string, string>, seconds = 4, archiver = 'f||', recovery = 'f') {
    const s = stub(walg, {
      pg_isready: 'exit 0',
      psql: `case $* in
  *pg_is_in_recovery*) echo ${recovery} ;;
  *last_failed_time*) echo '${archiver}' ;;
  *last_archived_wal*) echo ${SEG} ;;
esac`,
    });
    walSegment(path.join(s.dir, 'seg'));
    s.config('archive.env', 'WALE_S3_PREFIX=s3://walg/pg\n');
    const r = s.sidecar(shell, env, seconds);
    const report = path.join(s.work, 'data', 'pg-walg-backup-status');
    return { stderr: r.stderr, calls: s.calls(), status: fs.existsSync(report) ? fs.readFileSync(report, 'utf8') : undefined };
  }

  test('a segment PostgreSQL counts as archived that is not in the archive is reported as an error', () => {
    const r = sidecar('case $1 in wal-fetch) echo "ERROR: 2026/11/30 Archive \'$2\' does not exist." >&2; exit 1 ;; esac', { PG_WALG_BACKUP_INTERVAL_SECONDS: '86400' });
    expect(r.stderr).toContain(`ERROR: PostgreSQL counts WAL segment ${SEG} as archived (wal-g wal-push exited 0), but it is not in s3://walg/pg: a restore would end before it.`);
  });
  test('a segment that is in the archive is fetched back once, and nothing is reported', () => {
    const r = sidecar('case $1 in wal-fetch) cp "$STUB_DIR/seg" "$3" ;; esac', { PG_WALG_BACKUP_INTERVAL_SECONDS: '86400' });
    expect(r.stderr).not.toMatch(/WARNING|ERROR/);
    expect(r.calls.filter((c) => c.startsWith('wal-fetch'))).toHaveLength(1);
    expect(r.calls[0]).toMatch(new RegExp(`^wal-fetch ${SEG} /`));
  });
  test('a storage error while checking is a warning, and the check is tried again', () => {
    const r = sidecar('case $1 in wal-fetch) echo "ERROR: 2026/11/30 connection refused" >&2; exit 1 ;; esac', { PG_WALG_BACKUP_INTERVAL_SECONDS: '86400' });
    expect(r.stderr).toContain(`WARNING: cannot check that WAL segment ${SEG} is in s3://walg/pg: failed: wal-g exited 1: ERROR: 2026/11/30 connection refused`);
    expect(r.calls.filter((c) => c.startsWith('wal-fetch')).length).toBeGreaterThan(1);
  });
  test('while a scheduled push hangs, the archiving checks keep their schedule, and the push is stopped at its bound', () => {
    const r = sidecar(`case $1 in
  wal-fetch) cp "$STUB_DIR/seg" "$3" ;;
  backup-list) printf 'name last_modified wal_segment_backup_start\\nbase_000000010000000000000002 2026-11-30T10:00:00Z 000000010000000000000002\\n' ;;
  backup-push) exec sleep 60 ;;
esac`, { PG_WALG_BACKUP_INTERVAL_SECONDS: '1', PG_WALG_BACKUP_PUSH_TIMEOUT: '2', PG_WALG_ATTEMPTS: '1' }, 7, 't|000000010000000000000009|2026-11-30 10:00:00+00');
    const failing = r.stderr.split('\n').filter((l) => l.includes('WARNING: WAL archiving to s3://walg/pg is failing'));
    expect(failing.length).toBeGreaterThanOrEqual(4);
    expect(r.stderr).toContain('WARNING: base backup failed: timed out after 2 s');
    // Reported for the metrics exporter: failed, nothing pushed yet, the one backup listed.
    expect(r.status).toMatch(/^0 \d+ 0 \d+ 1\n$/);
  });
  describe('base backups from a standby (baseBackupsFromStandby)', () => {
    const WALG = `case $1 in
  wal-fetch) cp "$STUB_DIR/seg" "$3" ;;
  backup-list) if [ -f "$STUB_DIR/pushed" ]; then n=3; else n=2; fi
    printf 'name last_modified wal_segment_backup_start\\nbase_00000001000000000000000%s 2026-11-30T10:00:00Z 00000001000000000000000%s\\n' "$n" "$n" ;;
  backup-push) : >"$STUB_DIR/pushed" ;;
esac`;
    const FROM_STANDBY = { PG_WALG_BACKUP_INTERVAL_SECONDS: '1', PG_WALG_BASE_BACKUPS_FROM: 'standby' };
    test('beside the standby that takes them: pushes while its server is in recovery, and checks no archiving (the primary archives)', () => {
      const r = sidecar(WALG, { ...FROM_STANDBY, PG_WALG_ROLE: 'standby' }, 4, 'f||', 't');
      expect(r.calls.filter((c) => c.startsWith('backup-push')).length).toBeGreaterThanOrEqual(1);
      expect(r.stderr + r.calls.join('\n')).toContain('base backup base_000000010000000000000003 is in s3://walg/pg');
      expect(r.calls.some((c) => c.startsWith('wal-fetch'))).toBe(false);
    });
    test('beside that standby once promoted (no longer in recovery): pushes nothing', () => {
      const r = sidecar(WALG, { ...FROM_STANDBY, PG_WALG_ROLE: 'standby' }, 3, 'f||', 'f');
      expect(r.calls).toEqual([]);
    });
    test('beside the primary: checks the archiving and pushes nothing', () => {
      const r = sidecar(WALG, { ...FROM_STANDBY, PG_WALG_ROLE: 'primary' }, 3);
      expect(r.calls.some((c) => c.startsWith('backup-push'))).toBe(false);
      expect(r.calls.filter((c) => c.startsWith('wal-fetch')).length).toBeGreaterThanOrEqual(1);
    });
    test('beside the primary without it: pushes and checks', () => {
      const r = sidecar(WALG, { PG_WALG_BACKUP_INTERVAL_SECONDS: '1', PG_WALG_ROLE: 'primary' }, 4);
      expect(r.calls.filter((c) => c.startsWith('backup-push')).length).toBeGreaterThanOrEqual(1);
      // Reported for the metrics exporter: the first push stored a backup; the stand-in lists no newer one after the
      // next pushes, so they failed: the last outcome is a failure, the pushed one's end is kept, one backup listed.
      const [result, end, ok, , count] = (r.status ?? '').trim().split(' ');
      expect([result, count]).toEqual(['0', '1']);
      expect(Number(ok)).toBeGreaterThan(0);
      expect(Number(ok)).toBeLessThanOrEqual(Number(end));
      expect(r.calls.filter((c) => c.startsWith('wal-fetch')).length).toBeGreaterThanOrEqual(1);
    });
  });
  test('SIGTERM (the pod deleted) ends the sidecar at once, also during a push, instead of at the grace period\'s SIGKILL', () => {
    const s = stub(`case $1 in
  wal-fetch) cp "$STUB_DIR/seg" "$3" ;;
  backup-list) printf 'name last_modified wal_segment_backup_start\\nbase_000000010000000000000002 2026-11-30T10:00:00Z 000000010000000000000002\\n' ;;
  backup-push) exec sleep 60 ;;
esac`, { pg_isready: 'exit 0', psql: `case $* in *pg_is_in_recovery*) echo f ;; *last_failed_time*) echo 'f||' ;; *last_archived_wal*) echo ${SEG} ;; esac` });
    walSegment(path.join(s.dir, 'seg'));
    s.config('archive.env', 'WALE_S3_PREFIX=s3://walg/pg\n');
    fs.mkdirSync(path.join(s.work, 'data'), { recursive: true });
    // The sidecar checks every 30 s and pushes at once (interval 1 s): after 2 s it waits in its pause, with a push
    // hanging in the background; then SIGTERM.
    const script = `${shell.join(' ')} "$PG_WALG_CONFIG/backup.sh" >"$HOME/sidecar.log" 2>&1 & p=$!; sleep 2; t0=$(date +%s); kill -TERM $p; wait $p; echo "rc=$? after=$(($(date +%s) - t0))"`;
    const r = spawnSync('sh', ['-c', script], {
      encoding: 'utf8',
      timeout: 30_000,
      env: {
        PATH: `${path.join(s.dir, 'bin')}:${process.env.PATH}`,
        HOME: s.work,
        TMPDIR: s.work,
        PG_WALG_CONFIG: s.configDir,
        STUB_DIR: s.dir,
        PGDATA: path.join(s.work, 'data'),
        PG_WALG_STATE: path.join(s.work, 'state'),
        PGHOST: s.work,
        PGPORT: '5432',
        PG_WALG_SECRETS: path.join(s.work, 'secrets'),
        PG_WALG_CHECK_SECONDS: '30',
        PG_WALG_BACKUP_INTERVAL_SECONDS: '1',
        PG_WALG_ATTEMPTS: '1',
        PG_WALG_RETRY_SECONDS: '0',
        PG_WALG_LIST_TIMEOUT: '10',
        PG_WALG_FETCH_NOT_FOUND_EXIT: '1',
      },
    });
    expect(r.stdout).toMatch(/rc=0 after=[01]\n/);
  });
  test('a base backup push that reports success without uploading is a warning, not a success', () => {
    const r = sidecar(`case $1 in
  wal-fetch) cp "$STUB_DIR/seg" "$3" ;;
  backup-list) printf 'name last_modified wal_segment_backup_start\\nbase_000000010000000000000002 2026-11-30T10:00:00Z 000000010000000000000002\\n' ;;
  backup-push) exit 0 ;;
esac`, { PG_WALG_BACKUP_INTERVAL_SECONDS: '1', PG_WALG_RETAIN_FULL: '1' }, 5);
    expect(r.stderr).toContain('WARNING: base backup failed: wal-g backup-push reported success, but no new base backup is listed at s3://walg/pg');
    expect(r.stderr).not.toContain('retention:');
    expect(r.calls.some((c) => c.startsWith('delete'))).toBe(false);
  });
});

// The WAL chain check (PG_WALG_WAL_VERIFY_SECONDS): `wal-g wal-verify integrity timeline --json` beside the primary,
// its outcome logged and recorded in PGDATA/pg-walg-wal-verify-status. The JSON is WAL-G 1.1.3's own (same from 0.2.20 to 3.0).
describe.each(SHELLS.map((s) => [s.join(' '), s] as const))('backup.sh\'s WAL chain check under %s', (_name, shell) => {
  const ARCHIVED = '000000010000000000000006';
  const json = (integrity: string, rows: string, timeline = 'OK', highest = 1) =>
    `{"integrity":{"status":"${integrity}","details":[${rows}]},"timeline":{"status":"${timeline}","details":{"current_timeline_id":1,"highest_storage_timeline_id":${highest}}}}`;
  const row = (first: string, last: string, n: number, status: string) =>
    `{"timeline_id":1,"start_segment":"${first}","end_segment":"${last}","segments_count":${n},"status":"${status}"}`;
  const WHOLE = json('OK', row('000000010000000000000002', '000000010000000000000006', 5, 'FOUND'));
  // Segment 4 deleted: WAL-G 1.1.3 reports it probably uploading (it is among the 16 newest), but PostgreSQL archived up to 6.
  const HOLE = json('WARNING', [row('000000010000000000000002', '000000010000000000000003', 2, 'FOUND'), row('000000010000000000000004', '000000010000000000000004', 1, 'MISSING_UPLOADING'),
    row('000000010000000000000005', '000000010000000000000006', 2, 'FOUND')].join(','));

  function sidecar(verify: string, env: Record<string, string>, seconds = 4, recovery = 'f', archived = ARCHIVED, more = '') {
    const s = stub(`case $1 in
  wal-fetch) cp "$STUB_DIR/seg" "$3" ;;
  wal-verify) ${verify} ;;
  ${more}
esac`, {
      pg_isready: 'exit 0',
      psql: `case $* in
  *pg_is_in_recovery*) echo ${recovery} ;;
  *last_failed_time*) echo 'f||' ;;
  *last_archived_wal*) echo ${archived} ;;
esac`,
    });
    walSegment(path.join(s.dir, 'seg'));
    s.config('archive.env', 'WALE_S3_PREFIX=s3://walg/pg\n');
    const r = s.sidecar(shell, { PG_WALG_BACKUP_INTERVAL_SECONDS: '86400', ...env }, seconds);
    const report = path.join(s.work, 'data', 'pg-walg-wal-verify-status');
    return {
      stderr: r.stderr,
      verifies: s.calls().filter((c) => c.startsWith('wal-verify')),
      pushes: s.calls().filter((c) => c.startsWith('backup-push')),
      overlap: fs.existsSync(path.join(s.dir, 'overlap')),
      status: fs.existsSync(report) ? fs.readFileSync(report, 'utf8') : undefined,
    };
  }

  test('a whole chain: logged, recorded as OK with the time of this all-OK check; the checks integrity and timeline, in JSON', () => {
    const r = sidecar(`printf '%s' '${WHOLE}'`, { PG_WALG_WAL_VERIFY_SECONDS: '60' });
    expect(r.verifies).toEqual(['wal-verify integrity timeline --json']);
    expect(r.stderr).toContain('WAL chain check of s3://walg/pg: integrity OK');
    const [integrity, timeline, end, ok, , lost, uploading] = r.status!.trim().split(' ');
    expect([integrity, timeline, lost, uploading]).toEqual(['0', '0', '0', '0']);
    expect(ok).toBe(end);
  });
  test('a segment missing before the last archived one is lost, whatever WAL-G guesses: an error naming it, FAILURE recorded', () => {
    const r = sidecar(`printf '%s' '${HOLE}'`, { PG_WALG_WAL_VERIFY_SECONDS: '60' });
    expect(r.stderr).toContain('ERROR: WAL chain check of s3://walg/pg: 1 WAL segment(s) lost (000000010000000000000004..000000010000000000000004). A restore cannot replay past the first of them');
    expect(r.status).toMatch(/^2 0 \d+ 0 -?\d+ 1 0\n$/);
  });
  test('the same segment missing after the last archived one is not archived yet: OK, no error nor warning', () => {
    const r = sidecar(`printf '%s' '${HOLE}'`, { PG_WALG_WAL_VERIFY_SECONDS: '60' }, 4, 'f', '000000010000000000000003');
    expect(r.stderr).not.toContain('ERROR');
    expect(r.stderr).toContain('WAL chain check of s3://walg/pg: integrity OK up to the last archived segment; 1 newer WAL segment(s) not archived yet');
    expect(r.stderr).not.toContain('WARNING');
    const fields = r.status!.trim().split(' ');
    expect([fields[0], fields[1], fields[5], fields[6]]).toEqual(['0', '0', '0', '1']);
    // No segment lost and the timeline OK: an all-OK check.
    expect(fields[3]).toBe(fields[2]);
  });
  test('the last archived segment is read before the check: one archived while WAL-G listed the store is not lost', () => {
    // WAL-G lists up to 6, segment 7 is archived meanwhile: read after the check, pg_stat_archiver would name 7.
    const r = sidecar(`: >"$STUB_DIR/verified"; printf '%s' '${json('WARNING', [row('000000010000000000000002', '000000010000000000000006', 5, 'FOUND'), row('000000010000000000000007', '000000010000000000000007', 1, 'MISSING_UPLOADING')].join(','))}'`,
      { PG_WALG_WAL_VERIFY_SECONDS: '60' }, 4, 'f', '$(if [ -f "$STUB_DIR/verified" ]; then echo 000000010000000000000007; else echo 000000010000000000000006; fi)');
    expect(r.stderr).not.toContain('ERROR');
    expect(r.status).toMatch(/^0 0 \d+ \d+ -?\d+ 0 1\n$/);
  });
  test('a scheduled push and the check never run at once (the push\'s retention deletes what the check lists)', () => {
    const r = sidecar(`: >"$STUB_DIR/verifying"; sleep 2; rm -f "$STUB_DIR/verifying"; printf '%s' '${WHOLE}'`,
      { PG_WALG_WAL_VERIFY_SECONDS: '60', PG_WALG_BACKUP_INTERVAL_SECONDS: '1', PG_WALG_CHECK_SECONDS: '1', PG_WALG_ATTEMPTS: '1' }, 6, 'f', ARCHIVED,
      `backup-list) printf 'name last_modified wal_segment_backup_start\\nbase_000000010000000000000002 2026-11-30T10:00:00Z 000000010000000000000002\\n' ;;
  backup-push) if [ -f "$STUB_DIR/verifying" ]; then : >"$STUB_DIR/overlap"; fi; exit 1 ;;`);
    // Both ran (a push fell due while the check ran), one after the other.
    expect(r.verifies.length).toBeGreaterThanOrEqual(1);
    expect(r.pushes.length).toBeGreaterThanOrEqual(1);
    expect(r.overlap).toBe(false);
  });
  test('WAL-G\'s own MISSING_LOST is lost', () => {
    const r = sidecar(`printf '%s' '${json('FAILURE', row('000000010000000000000002', '000000010000000000000003', 2, 'MISSING_LOST'))}'`, { PG_WALG_WAL_VERIFY_SECONDS: '60' });
    expect(r.status).toMatch(/^2 0 \d+ 0 -?\d+ 2 0\n$/);
  });
  test('another server\'s higher timeline in the archive: an error naming both timelines', () => {
    const r = sidecar(`printf '%s' '${json('OK', row('000000010000000000000002', '000000010000000000000006', 5, 'FOUND'), 'FAILURE', 3)}'`, { PG_WALG_WAL_VERIFY_SECONDS: '60' });
    expect(r.stderr).toContain('ERROR: WAL chain check of s3://walg/pg: timeline FAILURE: this server is on timeline 1, but the archive holds WAL of timeline 3.');
    expect(r.status).toMatch(/^0 2 \d+ 0 /);
  });
  test('WAL-G fails (the storage is down): a warning with its message, -1 recorded, and the last all-OK time kept', () => {
    const r = sidecar('if [ -f "$STUB_DIR/once" ]; then echo "ERROR: 2026/12/02 15:54:00.200360 FS error : Folder not exists or is inaccessible" >&2; exit 1; fi; : >"$STUB_DIR/once"; printf \'%s\' \'' + WHOLE + '\'',
      { PG_WALG_WAL_VERIFY_SECONDS: '1', PG_WALG_CHECK_SECONDS: '1' }, 5);
    expect(r.verifies.length).toBeGreaterThanOrEqual(2);
    expect(r.stderr).toContain('WARNING: the WAL chain check of s3://walg/pg did not run (wal-g wal-verify exited 1): ERROR: 2026/12/02 15:54:00.200360 FS error : Folder not exists or is inaccessible');
    const [integrity, timeline, end, ok] = r.status!.trim().split(' ');
    expect([integrity, timeline]).toEqual(['-1', '-1']);
    expect(Number(ok)).toBeGreaterThan(0);
    expect(Number(ok)).toBeLessThanOrEqual(Number(end));
  });
  test('not without PG_WALG_WAL_VERIFY_SECONDS, and never beside a standby', () => {
    expect(sidecar(`printf '%s' '${WHOLE}'`, {}).verifies).toEqual([]);
    expect(sidecar(`printf '%s' '${WHOLE}'`, { PG_WALG_WAL_VERIFY_SECONDS: '60', PG_WALG_ROLE: 'standby' }, 4, 't').verifies).toEqual([]);
  });
  test('a check that hangs is stopped at its bound, and the archiving checks keep their schedule meanwhile', () => {
    const r = sidecar('exec sleep 60', { PG_WALG_WAL_VERIFY_SECONDS: '60', PG_WALG_WAL_VERIFY_TIMEOUT: '2' }, 5);
    expect(r.stderr).toContain('WARNING: the WAL chain check of s3://walg/pg did not run (wal-g wal-verify exited');
    expect(r.stderr).toContain('timed out after 2 s');
  });
});
