// drill.sh, the restore drill's container command: under dash and busybox sh, with stand-ins for wal-g and the
// server binaries. Whatever happens, it prints exactly one result line with the stable prefix and exits 0 only
// when the base backup was fetched, recovery ended and the check query passed; it only ever reads the archive.
import * as fs from 'fs';
import * as path from 'path';
import { SHELLS, Stub, stub } from './stub';
import { script } from '../../src/_scripts';

const LIST = 'name last_modified wal_segment_backup_start\n'
  + 'base_000000010000000000000002 2026-11-30T10:00:00Z 000000010000000000000002\n'
  + 'base_000000010000000000000009 2026-12-01T10:00:00Z 000000010000000000000009';

/** wal-g: two base backups; a fetch writes a whole PGDATA of PostgreSQL `major`; no WAL segment is in the archive. */
function walg(major = '17'): string {
  return `case $1 in
  backup-list) printf '%s\\n' '${LIST}' ;;
  backup-fetch)
    echo ${major} >"$2/PG_VERSION"; mkdir -p "$2/global"; echo x >"$2/global/pg_control"; echo "START WAL LOCATION: 0/9000028" >"$2/backup_label"
    : >"$2/postgresql.conf" ;;
  wal-fetch) printf "ERROR: 2026/11/30 10:04:37.859081 Archive '%s' does not exist.\\n" "$2" >&2; exit 1 ;;
  *) echo "ERROR: unexpected wal-g $1" >&2; exit 9 ;;
esac`;
}

/** The server binaries: postgres runs until pg_ctl stops it (or `postgres` says otherwise); psql answers the drill's queries. */
function server(over: Record<string, string> = {}): Record<string, string> {
  return {
    postgres: 'printf \'%s\\n\' "postgres $*" >>"$STUB_DIR/argv"; echo $$ >"$STUB_DIR/pid"; echo "LOG:  selected new timeline ID: 3" >&2; exec sleep 30',
    psql: `printf '%s\\n' "psql $*" >>"$STUB_DIR/argv"
case "$*" in
  *"pg_is_in_recovery()"*) echo f ;;
  *"replay_lsn()"* | *"replay_location()"*) echo 0/A000060 ;;
  *" -f "*) cat "$PG_WALG_DRILL_CONFIG/check.sql" >"$STUB_DIR/check.sql"; echo 1 ;;
  *) echo "unexpected psql $*" >&2; exit 2 ;;
esac`,
    pg_isready: 'exit 0',
    pg_ctl: 'printf \'%s\\n\' "pg_ctl $*" >>"$STUB_DIR/argv"; kill "$(cat "$STUB_DIR/pid")" 2>/dev/null; exit 0',
    ...over,
  };
}

/** The drill's ConfigMaps (the instance's and its own) and env, with its paths in the stub's scratch directory. */
function drillEnv(s: Stub, env: Record<string, string> = {}): Record<string, string> {
  s.config('archive.env', 'WALE_S3_PREFIX=s3://walg/pg\n');
  s.config('postgresql.conf', "archive_mode = on\narchive_command = 'wal-g wal-push %p'\n");
  s.config('pg_hba.conf', 'local all all trust\n');
  const drill = path.join(s.work, 'drill');
  fs.mkdirSync(drill, { recursive: true });
  fs.writeFileSync(path.join(drill, 'recovery-settings.conf'), "restore_command = 'sh \"$PG_WALG_CONFIG/wal-fetch.sh\" %f %p'\nrecovery_target_timeline = 'latest'\n");
  fs.writeFileSync(path.join(drill, 'check.sql'), 'SELECT 1\n');
  return {
    PGDATA: path.join(s.work, 'scratch', 'data'),
    PG_WALG_STATE: path.join(s.work, 'scratch', 'pg-walg'),
    PGHOST: s.work,
    PGPORT: '5432',
    PG_WALG_SECRETS: path.join(s.work, 'secrets'),
    PG_WALG_DRILL_CONFIG: drill,
    PG_WALG_ARCHIVE: 'off',
    PG_WALG_PG_MAJOR: '17',
    PG_WALG_RECOVERY_STYLE: 'recovery.signal',
    PG_WALG_ATTEMPTS: '2',
    ...env,
  };
}

/** The result lines of a drill's stdout. */
const results = (stdout: string) => stdout.split('\n').filter((l) => l.startsWith('pg-walg-restore-drill:'));

describe.each(SHELLS.map((sh) => [sh.join(' '), sh] as const))('drill.sh under %s', (_name, shell) => {
  test('a whole archive: the newest base backup fetched, recovery to the end, the check run; one result=passed line, exit 0, the copy removed', () => {
    const s = stub(walg(), server());
    const env = drillEnv(s);
    const r = s.run(shell, 'drill.sh', [], env);
    expect(r.stderr).not.toContain('ERROR');
    expect(results(r.stdout)).toEqual([expect.stringMatching(/^pg-walg-restore-drill: result=passed backup=base_000000010000000000000009 timeline=2 replayed-to=0\/A000060 duration=\d+s$/)]);
    expect(r.status).toBe(0);
    // Only reads: the list, the probe of the backup's first segment, the fetch of the newest backup.
    expect(s.calls()).toEqual([
      'backup-list',
      expect.stringMatching(/^wal-fetch 000000010000000000000009 /),
      expect.stringMatching(/^backup-fetch .*\/scratch\/data base_000000010000000000000009$/),
    ]);
    const argv = fs.readFileSync(path.join(s.dir, 'argv'), 'utf8');
    // Its own server: on its socket only, never archiving.
    expect(argv).toContain(`postgres -D ${env.PGDATA} -k ${s.work} -c listen_addresses= -c archive_mode=off`);
    expect(argv).toMatch(/SELECT pg_last_wal_replay_lsn\(\)/);
    expect(fs.readFileSync(path.join(s.dir, 'check.sql'), 'utf8')).toBe('SELECT 1\n');
    expect(argv).toContain(`pg_ctl -D ${env.PGDATA} -m fast -w -t 600 stop`);
    // The scratch PGDATA and state are emptied; the server's log went to the drill's log.
    expect(fs.existsSync(env.PGDATA)).toBe(false);
    expect(fs.existsSync(env.PG_WALG_STATE)).toBe(false);
  });

  test('PostgreSQL 9.6 asks where replay ended with pg_last_xlog_replay_location()', () => {
    const s = stub(walg('9.6'), server({ postgres: 'printf \'%s\\n\' "postgres $*" >>"$STUB_DIR/argv"; echo $$ >"$STUB_DIR/pid"; exec sleep 30' }));
    const r = s.run(shell, 'drill.sh', [], drillEnv(s, { PG_WALG_PG_MAJOR: '9.6', PG_WALG_RECOVERY_STYLE: 'recovery.conf' }));
    expect(r.status).toBe(0);
    expect(fs.readFileSync(path.join(s.dir, 'argv'), 'utf8')).toMatch(/SELECT pg_last_xlog_replay_location\(\)/);
    // A server that logs elsewhere (logging_collector): the timeline is not known.
    expect(results(r.stdout)[0]).toContain(' timeline=unknown ');
  });

  test('recovery settings per major: recovery.conf up to 11, recovery.signal and pg-walg.conf from 12', () => {
    const kept = (major: string, style: string) => {
      // The server copies what the drill wrote before it is removed.
      const s = stub(walg(major), server({ postgres: 'cp -R "$2" "$STUB_DIR/seen"; echo $$ >"$STUB_DIR/pid"; exec sleep 30' }));
      expect(s.run(shell, 'drill.sh', [], drillEnv(s, { PG_WALG_PG_MAJOR: major, PG_WALG_RECOVERY_STYLE: style })).status).toBe(0);
      return path.join(s.dir, 'seen');
    };
    const old = kept('11', 'recovery.conf');
    expect(fs.readFileSync(path.join(old, 'recovery.conf'), 'utf8')).toContain('recovery_target_timeline = \'latest\'');
    expect(fs.existsSync(path.join(old, 'recovery.signal'))).toBe(false);
    const modern = kept('17', 'recovery.signal');
    expect(fs.existsSync(path.join(modern, 'recovery.signal'))).toBe(true);
    expect(fs.readFileSync(path.join(modern, 'pg-walg.conf'), 'utf8')).toMatch(/archive_mode = on\n[^]*# Recovery settings of the restore drill\nrestore_command = /);
    expect(fs.readFileSync(path.join(modern, 'postgresql.conf'), 'utf8')).toContain("include_if_exists = 'pg-walg.conf'");
  });

  test('the server stops during recovery (a WAL segment missing in the middle): result=failed step=replay with wal-fetch.sh\'s reason, exit 1', () => {
    const why = 'WAL segment 00000001000000000000000B is not in s3://walg/pg, but a later segment 00000001000000000000000C is: the archive has a gap';
    const s = stub(walg(), server({
      postgres: `echo "2026-12-02T16:00:00Z pg-walg: ERROR: ${why}" >&2; echo "FATAL:  could not restore file" >&2; exit 1`,
      psql: 'exit 2',
    }));
    const r = s.run(shell, 'drill.sh', [], drillEnv(s));
    expect(results(r.stdout)).toEqual([`pg-walg-restore-drill: result=failed step=replay duration=${/duration=(\d+)s/.exec(r.stdout)![1]}s reason="PostgreSQL stopped during recovery: ${why}"`]);
    expect(r.status).toBe(1);
    // The server's own log is in the drill's.
    expect(r.stderr).toContain('FATAL:  could not restore file');
  });

  test('a server that stops without a wal-fetch.sh error: its FATAL line is the reason', () => {
    const s = stub(walg(), server({ postgres: 'echo "2026-12-02 16:00:00 UTC [7] FATAL:  requested timeline 3 is not a child of this server\'s history" >&2; exit 1', psql: 'exit 2' }));
    const r = s.run(shell, 'drill.sh', [], drillEnv(s));
    expect(results(r.stdout)[0]).toMatch(/result=failed step=replay .* reason="PostgreSQL stopped during recovery: requested timeline 3 is not a child of this server's history"$/);
    expect(r.status).toBe(1);
  });

  test('the check query fails: result=failed step=check with psql\'s error; the server is stopped', () => {
    const s = stub(walg(), server({
      psql: `case "$*" in
  *"pg_is_in_recovery()"*) echo f ;;
  *"replay_lsn()"*) echo 0/A000060 ;;
  *" -f "*) printf '%s\\n' 'psql:/etc/check.sql:1: ERROR:  relation "no_such_table" does not exist' 'LINE 1: SELECT * FROM no_such_table' '                      ^' >&2; exit 3 ;;
esac`,
    }));
    const r = s.run(shell, 'drill.sh', [], drillEnv(s));
    expect(results(r.stdout)[0]).toMatch(/^pg-walg-restore-drill: result=failed step=check duration=\d+s reason="the check query failed: psql:\/etc\/check.sql:1: ERROR: relation 'no_such_table' does not exist LINE 1: SELECT \* FROM no_such_table"$/);
    expect(r.status).toBe(1);
    expect(fs.readFileSync(path.join(s.dir, 'argv'), 'utf8')).toMatch(/pg_ctl -D \S+ -m immediate -w -t 60 stop/);
  });

  test('the fetch fails: result=failed step=fetch naming the backup and the error, after the attempts', () => {
    const s = stub(`case $1 in
  backup-list) printf '%s\\n' '${LIST}' ;;
  backup-fetch) echo "ERROR: connection reset by peer" >&2; exit 1 ;;
  wal-fetch) printf "ERROR: 2026/11/30 10:04:37.859081 Archive '%s' does not exist.\\n" "$2" >&2; exit 1 ;;
esac`, server());
    const r = s.run(shell, 'drill.sh', [], drillEnv(s));
    expect(results(r.stdout)[0]).toMatch(/^pg-walg-restore-drill: result=failed step=fetch duration=\d+s reason="cannot fetch base backup base_000000010000000000000009 from s3:\/\/walg\/pg after 2 attempts. Last error: ERROR: connection reset by peer"$/);
    expect(r.status).toBe(1);
  });

  test('an archive without base backups: result=failed step=fetch', () => {
    const s = stub('case $1 in backup-list) echo "INFO: No backups found" >&2 ;; wal-fetch) printf \'%s\' "ERROR: 2026/11/30 Archive \'000000010000000000000000\' does not exist." >&2; exit 1 ;; esac', server());
    const r = s.run(shell, 'drill.sh', [], drillEnv(s));
    expect(results(r.stdout)[0]).toMatch(/result=failed step=fetch duration=\d+s reason="no base backup in s3:\/\/walg\/pg to restore"$/);
    expect(r.status).toBe(1);
  });

  test('a base backup of another major: result=failed step=fetch', () => {
    const s = stub(walg('14'), server());
    const r = s.run(shell, 'drill.sh', [], drillEnv(s));
    expect(results(r.stdout)[0]).toMatch(/step=fetch .*reason="the base backup is of PostgreSQL 14 but this image runs PostgreSQL 17; restore it with a PostgresVersion of the same major"$/);
    expect(r.status).toBe(1);
  });

  test('with PG_WALG_ARCHIVE on it refuses to start: result=failed step=setup, nothing read', () => {
    const s = stub(walg(), server());
    const r = s.run(shell, 'drill.sh', [], drillEnv(s, { PG_WALG_ARCHIVE: 'on' }));
    expect(results(r.stdout)[0]).toMatch(/result=failed step=setup duration=\d+s reason="PG_WALG_ARCHIVE is on: a restore drill never archives"$/);
    expect(r.status).toBe(1);
    expect(s.calls()).toEqual([]);
  });
});

test('drill.sh never runs a WAL-G command that writes to the archive', () => {
  const text = script('drill.sh').split('\n').filter((l) => !/^\s*#/.test(l)).join('\n');
  expect(text).not.toMatch(/wal-push|backup-push|\bdelete\b|wal-g /);
  // The shared functions it calls from lib.sh: listing, probing and fetching only.
  for (const f of ['list_backups', 'newest_backup', 'fetch_checked', 'install_recovery', 'fetched_pgdata_complete', 'install_server_config']) {
    expect(text).toContain(f);
  }
});
