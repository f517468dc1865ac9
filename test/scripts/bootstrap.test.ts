// bootstrap.sh: a container killed or failing while it fills PGDATA (initdb or backup-fetch) must not
// leave a partial PGDATA that the next start takes for a cluster.
import * as fs from 'fs';
import * as path from 'path';
import { notInArchive, SERVER, SHELLS, Stub, stub } from './stub';
import { WALG_OUTPUT } from './walg-output';

const LIST = 'name last_modified wal_segment_backup_start\nbase_000000010000000000000002 2026-11-30T10:00:00Z 000000010000000000000002';

describe.each(SHELLS.map((s) => [s.join(' '), s] as const))('bootstrap.sh under %s', (_name, shell) => {
  test('a base backup fetch that failed half-way is started again from an empty PGDATA at the next start', () => {
    // backup-fetch writes part of PGDATA, then fails (the storage went away) until $STUB_DIR/up exists.
    const s = stub(`case $1 in
  backup-list) printf '%s\\n' '${LIST}' ;;
  backup-fetch)
    [ -z "$(ls -A "$2")" ] || { echo "ERROR: $2 is not empty" >&2; exit 2; }
    echo 11 >"$2/PG_VERSION"; mkdir -p "$2/base/1"; echo x >"$2/base/1/1259"
    [ -f "$STUB_DIR/up" ] || { echo "ERROR: connection reset by peer" >&2; exit 1; }
    mkdir -p "$2/global"; echo x >"$2/global/pg_control"; echo "START WAL LOCATION: 0/2000028" >"$2/backup_label" ;;
esac`, {
      // The server: it exits at once (this test stops at the start of replay).
      postgres: 'exit 1',
      pg_isready: 'exit 1',
    });
    s.config('restore.env', 'WALE_S3_PREFIX=s3://walg/pg\n');
    configure(s, {});
    const pgdata = path.join(s.work, 'data');
    const state = path.join(s.work, 'state');
    const env = restoreEnv(s, { PG_WALG_ATTEMPTS: '2' });

    const first = s.run(shell, 'bootstrap.sh', [], env);
    expect(first.status).toBe(1);
    expect(first.stderr).toContain('ERROR: cannot fetch base backup LATEST from s3://walg/pg after 2 attempts. Last error: ERROR: connection reset by peer');
    expect(fs.existsSync(path.join(pgdata, 'PG_VERSION'))).toBe(true); // what a half-done fetch leaves
    expect(fs.existsSync(path.join(state, 'pgdata-incomplete'))).toBe(true);

    fs.writeFileSync(path.join(s.dir, 'up'), '');
    const second = s.run(shell, 'bootstrap.sh', [], env);
    expect(second.stderr).toContain(`the last start stopped while it was filling ${pgdata}: starting again from an empty PGDATA`);
    expect(s.calls().filter((c) => c.startsWith('backup-fetch'))).toHaveLength(3);
    expect(fs.readdirSync(pgdata).sort()).toEqual(['PG_VERSION', 'backup_label', 'base', 'global', 'pg-walg.conf', 'pg_commit_ts', 'pg_hba.conf', 'pg_logical',
      'pg_replslot', 'pg_snapshots', 'pg_stat', 'pg_stat_tmp', 'pg_tblspc', 'pg_twophase', 'postgresql.conf', 'recovery.signal']);
    expect(fs.existsSync(path.join(state, 'pgdata-incomplete'))).toBe(false);
    expect(fs.existsSync(path.join(state, 'restore-pending'))).toBe(true);
    // It went on to replay (the stand-in server exits at once).
    expect(second.stderr).toContain('PostgreSQL exited while starting');
    expect(second.status).toBe(1);
  });
});

/** The ConfigMap files a restore reads, and `files`; and the auth Secret's password file. */
function configure(s: Stub, files: Record<string, string>): void {
  for (const [name, text] of Object.entries({
    'postgresql.conf': '# settings\n',
    'pg_hba.conf': 'local all all trust\n',
    'recovery-settings.conf': "restore_command = 'sh wal-fetch.sh %f %p'\n",
    ...files,
  })) s.config(name, text);
  fs.mkdirSync(path.join(s.work, 'secrets', 'auth'), { recursive: true });
  fs.writeFileSync(path.join(s.work, 'secrets', 'auth', 'POSTGRES_PASSWORD'), 'pa55word\n');
}

/** The container env of a restoring pod, with its paths in the stub's scratch directory. */
function restoreEnv(s: Stub, env: Record<string, string>): Record<string, string> {
  return {
    PGDATA: path.join(s.work, 'data'),
    PG_WALG_STATE: path.join(s.work, 'state'),
    PGHOST: s.work,
    PGPORT: '5432',
    PG_WALG_SECRETS: path.join(s.work, 'secrets'),
    PG_WALG_BOOTSTRAP: 'restore',
    PG_WALG_ARCHIVE: 'off',
    PG_WALG_PG_MAJOR: '11',
    PG_WALG_RECOVERY_STYLE: 'recovery.signal',
    PG_WALG_ATTEMPTS: '1',
    ...env,
  };
}

/** Runs bootstrap.sh for a restore with a stand-in wal-g (and a server that exits at once). */
function runRestore(shell: readonly string[], walg: string, files: Record<string, string>, env: Record<string, string>) {
  const s = stub(walg, { postgres: 'exit 1', pg_isready: 'exit 1' });
  configure(s, files);
  const r = s.run(shell, 'bootstrap.sh', [], restoreEnv(s, env));
  return { ...r, calls: s.calls() };
}

// Which base backup a restore fetches. WAL-G prints backup times in its process's time zone, as the
// stand-in below does (with the host's GNU date): backups stored at 09:30Z and 11:00Z.
describe.each(SHELLS.map((s) => [s.join(' '), s] as const))('the base backup a restore fetches, under %s', (_name, shell) => {
  const OLDER = 'base_000000010000000000000002';
  const NEWER = 'base_000000010000000000000004';
  const listing = (date: string) => `case $1 in
  backup-list)
    echo 'name last_modified wal_segment_backup_start'
    for b in "${OLDER} 1796031000" "${NEWER} 1796036400"; do
      set -- $b
      echo "$1 $(${date} -d "@$2" '+%Y-%m-%dT%H:%M:%S%:z' | sed 's/+00:00$/Z/') 000000010000000000000002"
    done ;;
  *) echo "ERROR: stop here" >&2; exit 1 ;;
esac`;

  // A PostgresVersion whose WAL-G has no detailed backup list: the storage's modification times are compared.
  function restore(env: Record<string, string>, date = '/bin/date'): { chosen?: string; stderr: string; status: number | null } {
    const r = runRestore(shell, listing(date), { 'restore.env': 'WALG_FILE_PREFIX=/archive/pg\n' }, { PG_WALG_LIST_DETAIL: 'off', PG_WALG_WALG_VERSION: '0.2.9', ...env });
    const fetch = r.calls.find((c) => c.startsWith('backup-fetch '));
    return { chosen: fetch?.split(' ')[2], stderr: r.stderr, status: r.status };
  }

  test.each(['UTC', 'America/New_York', 'Asia/Seoul', ''])('a 10:00Z time target fetches the 09:30Z backup whatever the image\'s time zone (TZ=%s)', (tz) => {
    const r = restore({ TZ: tz, PG_WALG_TARGET_TIME_UTC: '2026-11-30T10:00:00Z' });
    expect(r.chosen).toBe(OLDER);
    expect(r.stderr).toContain(`pg-walg: base backup ${OLDER} was stored at 2026-11-30T09:30:00Z (storage modification time: WAL-G 0.2.9 has no detailed backup list; ` +
      'a copied archive shows the copy time), by the recovery target time 2026-11-30T10:00:00Z');
  });

  test('a time target before every backup is refused, naming the backups and their UTC times', () => {
    const r = restore({ TZ: 'America/New_York', PG_WALG_TARGET_TIME_UTC: '2026-11-30T09:00:00Z' });
    expect(r.chosen).toBeUndefined();
    expect(r.stderr).toContain('ERROR: no base backup in /archive/pg was stored before the recovery target time 2026-11-30T09:00:00Z (storage modification time: ' +
      `WAL-G 0.2.9 has no detailed backup list; a copied archive shows the copy time); the archive holds (name, storage modification time): ${OLDER} 2026-11-30T09:30:00Z; ${NEWER} 2026-11-30T11:00:00Z;`);
  });

  test('no name and no time target: the newest backup (LATEST)', () => {
    expect(restore({ TZ: 'Asia/Seoul' }).chosen).toBe('LATEST');
  });

  test('a named backup is fetched by its name', () => {
    expect(restore({ PG_WALG_BACKUP_NAME: NEWER }).chosen).toBe(NEWER);
  });

  test('a named backup stored by the time target is fetched', () => {
    expect(restore({ TZ: 'America/New_York', PG_WALG_BACKUP_NAME: OLDER, PG_WALG_TARGET_TIME_UTC: '2026-11-30T10:00:00Z' }).chosen).toBe(OLDER);
  });

  test('a named backup stored after the time target is refused: recovery could not stop at the target', () => {
    const r = restore({ TZ: 'Asia/Seoul', PG_WALG_BACKUP_NAME: NEWER, PG_WALG_TARGET_TIME_UTC: '2026-11-30T10:00:00Z' });
    expect(r.chosen).toBeUndefined();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`ERROR: base backup ${NEWER} was stored at 2026-11-30T11:00:00Z (storage modification time: WAL-G 0.2.9 has no detailed backup list; ` +
      'a copied archive shows the copy time), after the recovery target time 2026-11-30T10:00:00Z: recovery cannot stop before the end of its base backup.');
  });

  test('a backup time that is not in UTC is not compared with a time target', () => {
    // A WAL-G that ignores TZ and prints New York times.
    const r = restore({ PG_WALG_TARGET_TIME_UTC: '2026-11-30T10:00:00Z' }, 'TZ=America/New_York /bin/date');
    expect(r.chosen).toBeUndefined();
    expect(r.stderr).toContain(`ERROR: cannot compare the storage modification time of base backup ${OLDER} 2026-11-30T04:30:00-05:00 with the recovery target time 2026-11-30T10:00:00Z: WAL-G did not print it in UTC`);
  });
});

// A time target and an archive that was copied (bucket replication, rclone, a restore of the bucket):
// every object's modification time is the copy time, after the target. The finish time that WAL-G
// recorded in each backup (backup-list --detail, 0.2.10 and later) survives the copy. The stand-in prints
// what each real WAL-G line printed (walg-output.ts), with the listing's times set to the copy time.
const LINES = Object.keys(WALG_OUTPUT) as Array<keyof typeof WALG_OUTPUT>;
describe.each(SHELLS.flatMap((s) => LINES.map((l) => [s.join(' '), l, s] as const)))('a time target and a copied archive, under %s with the output of WAL-G %s', (_name, line, shell) => {
  const OLDER = 'base_000000010000000000000002';
  const NEWER = 'base_000000010000000000000004';
  const out = WALG_OUTPUT[line];
  const [finish1, finish2] = out.finish;
  const COPIED = '2026-12-01T08:00:00Z';
  /** The listing of the copy: each backup's modification time is the copy time (in the format WAL-G printed). */
  const copiedList = out.list.UTC.replace(/ 2026-11-30T\d\d:\d\d:\d\dZ /g, ` ${COPIED} `);
  /** A second after a finish time: the first whole second by which that backup has finished. */
  const after = (t: string) => new Date(Math.floor(Date.parse(t) / 1000) * 1000 + 1000).toISOString().replace('.000Z', 'Z');
  const ERR = 'ERROR: 2026/11/30 16:03:05.764278';

  /** Runs the restore; `detail` is what the stand-in's `backup-list --detail --json` does. */
  function restore(env: Record<string, string>, detail = 'printf \'%s\' "$(cat "$STUB_DIR/detail.json")"', list = copiedList) {
    const s = stub(`printf '%s' "${out.info}" >&2
case "$*" in
  'backup-list') printf '%s' "$(cat "$STUB_DIR/list.txt")"; echo ;;
  'backup-list --detail --json') ${detail} ;;
  *) echo "ERROR: stop here" >&2; exit 1 ;;
esac`, { postgres: 'exit 1', pg_isready: 'exit 1' });
    fs.writeFileSync(path.join(s.dir, 'list.txt'), list);
    fs.writeFileSync(path.join(s.dir, 'detail.json'), out.detailJson.UTC);
    configure(s, { 'restore.env': 'WALG_FILE_PREFIX=/archive/pg\n' });
    const r = s.run(shell, 'bootstrap.sh', [], restoreEnv(s, { PG_WALG_LIST_DETAIL: 'on', PG_WALG_WALG_VERSION: '0.2.13', PG_WALG_ATTEMPTS: '2', ...env }));
    const calls = s.calls();
    return { chosen: calls.find((c) => c.startsWith('backup-fetch '))?.split(' ')[2], stderr: r.stderr, status: r.status, details: calls.filter((c) => c.includes('--detail')).length };
  }

  test('a target between the two finish times fetches the older backup, by its finish time, and says so', () => {
    const target = after(finish1);
    const r = restore({ PG_WALG_TARGET_TIME_UTC: target });
    expect(r.chosen).toBe(OLDER);
    expect(r.details).toBe(1);
    expect(r.stderr).toContain(`pg-walg: base backup ${OLDER} finished at ${finish1} (finish time recorded by WAL-G in the backup), by the recovery target time ${target}`);
  });

  test('a target after both finish times (and before the copy) fetches the newer backup', () => {
    expect(restore({ PG_WALG_TARGET_TIME_UTC: after(finish2) }).chosen).toBe(NEWER);
  });

  test('a target in the second a backup finished, before its fraction: that backup counts as after the target', () => {
    const second = finish1.slice(0, 19) + 'Z';
    const r = restore({ PG_WALG_TARGET_TIME_UTC: second });
    expect(r.chosen).toBeUndefined();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`ERROR: no base backup in /archive/pg finished before the recovery target time ${second} (finish time recorded by WAL-G in the backup); ` +
      'the archive holds (name, finish time): ');
    expect(r.stderr).toContain(`${OLDER} ${finish1}; `);
  });

  test('a named backup that finished after the target is refused, by its finish time', () => {
    const target = after(finish1);
    const r = restore({ PG_WALG_TARGET_TIME_UTC: target, PG_WALG_BACKUP_NAME: NEWER });
    expect(r.chosen).toBeUndefined();
    expect(r.stderr).toContain(`ERROR: base backup ${NEWER} finished at ${finish2} (finish time recorded by WAL-G in the backup), after the recovery target time ${target}: ` +
      'recovery cannot stop before the end of its base backup.');
    expect(restore({ PG_WALG_TARGET_TIME_UTC: target, PG_WALG_BACKUP_NAME: OLDER }).chosen).toBe(OLDER);
  });

  test('a WAL-G without a detailed list (0.2.9): the copy time is compared, and the refusal says that it is the storage modification time, and why', () => {
    const target = after(finish2);
    const r = restore({ PG_WALG_TARGET_TIME_UTC: target, PG_WALG_LIST_DETAIL: 'off', PG_WALG_WALG_VERSION: '0.2.9' });
    expect(r.chosen).toBeUndefined();
    expect(r.details).toBe(0);
    expect(r.stderr).toContain(`ERROR: no base backup in /archive/pg was stored before the recovery target time ${target} (storage modification time: ` +
      `WAL-G 0.2.9 has no detailed backup list; a copied archive shows the copy time); the archive holds (name, storage modification time): ${OLDER} ${COPIED}; ${NEWER} ${COPIED};`);
    expect(r.stderr).not.toContain('finish time');
  });

  test('a backup without metadata (pushed by WAL-G 0.2.9 or earlier): asked once, then the storage modification time, saying why', () => {
    const target = after(finish2);
    const r = restore({ PG_WALG_TARGET_TIME_UTC: target }, `printf '%s' "${out.noMetadata.stderr}" >&2; exit ${out.noMetadata.exit}`);
    expect(r.details).toBe(1);
    expect(r.chosen).toBeUndefined();
    const why = `a base backup has no metadata (pushed by a WAL-G that recorded no finish time): ${out.noMetadata.stderr.trim().split('\n').pop()}`;
    expect(r.stderr).toContain(`WARNING: ${why}; the base backups are compared with the recovery target time by their storage modification time instead`);
    expect(r.stderr).toContain(`was stored before the recovery target time ${target} (storage modification time: ${why}; a copied archive shows the copy time)`);
  });

  test('a detailed list that keeps failing: retried, then the storage modification time (of an archive that was not copied)', () => {
    const target = after(finish1);
    const r = restore({ PG_WALG_TARGET_TIME_UTC: target }, `echo "${ERR} dial tcp 127.0.0.1:9000: connect: connection refused" >&2; exit 1`, out.list.UTC);
    expect(r.details).toBe(2);
    expect(r.chosen).toBe(OLDER);
    expect(r.stderr).toContain(`base backup ${OLDER} was stored at ${out.list.UTC.split('\n')[1].split(/ +/)[1]} (storage modification time: ` +
      `WAL-G's detailed backup list failed: wal-g backup-list --detail --json exited 1: ${ERR} dial tcp 127.0.0.1:9000: connect: connection refused; a copied archive shows the copy time)`);
  });

  test('a detailed list without a finish time in UTC for a listed backup: the storage modification time, naming the backup', () => {
    const detail = out.detailJson.UTC.replace(finish1, '0001-01-01T00:00:00Z');
    const r = restore({ PG_WALG_TARGET_TIME_UTC: after(finish2) }, `printf '%s' '${detail}'`);
    expect(r.chosen).toBeUndefined();
    expect(r.stderr).toContain(`WARNING: WAL-G's detailed backup list gives no finish time in UTC for base backup ${OLDER}; the base backups are compared`);
  });

  test('no time target: no detailed list, the newest backup', () => {
    const r = restore({});
    expect(r.chosen).toBe('LATEST');
    expect(r.details).toBe(0);
  });
});

// A restore that archives onward begins a new cluster, as initdb does: its archive must not hold another
// cluster's base backups (unless allowNonEmptyArchive), and that is checked before the fetch.
describe.each(SHELLS.map((s) => [s.join(' '), s] as const))('a restore archiving onward, under %s', (_name, shell) => {
  function restore(env: Record<string, string>): { fetched: boolean; stderr: string; status: number | null } {
    const r = runRestore(shell, `case $1 in
  backup-list)
    if [ "$WALG_FILE_PREFIX" = /archive/onward ] && [ -z "\${ONWARD_HOLDS:-}" ]; then echo "INFO: 2026/11/30 10:04:38.115958 No backups found" >&2; exit 0; fi
    echo 'name last_modified wal_segment_backup_start'
    echo 'base_000000010000000000000002 2026-11-30T09:30:00Z 000000010000000000000002' ;;
  wal-fetch) echo "ERROR: 2026/11/30 10:04:38.115958 Archive '$2' does not exist." >&2; exit 1 ;;
  *) echo "ERROR: stop here" >&2; exit 1 ;;
esac`, { 'restore.env': 'WALG_FILE_PREFIX=/archive/source\n', 'archive.env': 'WALG_FILE_PREFIX=/archive/onward\n' },
    { PG_WALG_ARCHIVE: 'on', ...env });
    return { fetched: r.calls.some((c) => c.startsWith('backup-fetch ')), stderr: r.stderr, status: r.status };
  }

  test('an onward archive that holds base backups is refused before the fetch', () => {
    const r = restore({ ONWARD_HOLDS: '1' });
    expect(r.fetched).toBe(false);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('ERROR: the archive /archive/onward already holds base backups of another cluster (base_000000010000000000000002 …). Archiving a new cluster there would mix two WAL histories. Use an empty prefix, or set allowNonEmptyArchive if you really mean it.');
  });

  test('allowNonEmptyArchive lets it archive there', () => {
    expect(restore({ ONWARD_HOLDS: '1', PG_WALG_ALLOW_NONEMPTY_ARCHIVE: 'true' }).fetched).toBe(true);
  });

  test('an empty onward archive is accepted', () => {
    expect(restore({}).fetched).toBe(true);
  });
});

// allowNonEmptyArchive lets a new cluster archive where another cluster's base backups are. WAL-G names WAL
// segments and base backups by timeline and position only: on the same timeline the new cluster's would
// overwrite the other's, so that is refused before the new cluster archives anything; on another timeline
// (a restore promotes to a new one) it archives, and the check is not made again once it has passed.
describe.each(SHELLS.map((s) => [s.join(' '), s] as const))('a new cluster sharing its archive (allowNonEmptyArchive), under %s', (_name, shell) => {
  const OTHER = 'base_000000010000000000000002';
  /**
   * bootstrap.sh for a new cluster archiving to /archive/shared, which holds `held` (and, once pushed, this
   * cluster's backup `ours`): initdb, or a restore that has promoted to `timeline` (its history file in pg_wal).
   */
  function start(how: 'initdb' | 'restore', held: string[], opts: { timeline?: string; ours?: string; state?: string[]; existing?: boolean; env?: Record<string, string>; histories?: string[]; fetch?: string } = {}) {
    const ours = opts.ours ?? 'base_000000010000000000000004';
    const s = stub(`case $1 in
  wal-fetch)
    ${opts.fetch ?? `case " ${(opts.histories ?? []).join(' ')} " in
      *" $2 "*) echo '1	0/5000000	no recovery target specified' >"$3" ;;
      *) printf '%s' "${notInArchive('$2')}" >&2; exit 1 ;;
    esac`} ;;
  backup-list)
    echo 'name last_modified wal_segment_backup_start'
    for b in ${held.join(' ')}; do echo "$b 2026-11-30T09:30:00Z 000000010000000000000002"; done
    if [ -f "$STUB_DIR/pushed" ]; then echo "${ours} 2026-11-30T10:30:00Z 000000010000000000000004"; fi ;;
  backup-push) : >"$STUB_DIR/pushed" ;;
  *) echo "ERROR: stop here" >&2; exit 1 ;;
esac`, SERVER);
    for (const [name, text] of Object.entries({
      'postgresql.conf': '# settings\n',
      'pg_hba.conf': 'local all all trust\n',
      'recovery-settings.conf': '# recovery\n',
      'restore.env': 'WALG_FILE_PREFIX=/archive/source\n',
      'archive.env': 'WALG_FILE_PREFIX=/archive/shared\n',
    })) s.config(name, text);
    fs.mkdirSync(path.join(s.work, 'secrets', 'auth'), { recursive: true });
    fs.writeFileSync(path.join(s.work, 'secrets', 'auth', 'POSTGRES_PASSWORD'), 'pa55word\n');
    const pgdata = path.join(s.work, 'data');
    const state = path.join(s.work, 'state');
    fs.mkdirSync(state);
    if (how === 'restore' || opts.existing) {
      fs.mkdirSync(path.join(pgdata, 'pg_wal'), { recursive: true });
      fs.writeFileSync(path.join(pgdata, 'PG_VERSION'), '17\n');
      fs.writeFileSync(path.join(pgdata, 'postgresql.conf'), '');
    }
    if (how === 'restore') {
      // A restore that has fetched and replayed: PostgreSQL promoted it to `timeline`.
      for (const t of ['00000002', opts.timeline ?? '00000003']) fs.writeFileSync(path.join(pgdata, 'pg_wal', `${t}.history`), '');
      fs.writeFileSync(path.join(state, 'restore-pending'), '');
    }
    for (const f of opts.state ?? []) fs.writeFileSync(path.join(state, f), '');
    const r = s.run(shell, 'bootstrap.sh', [], {
      PGDATA: pgdata,
      PG_WALG_STATE: state,
      PGHOST: s.work,
      PGPORT: '5432',
      PGUSER: 'postgres',
      PG_WALG_SECRETS: path.join(s.work, 'secrets'),
      PG_WALG_BOOTSTRAP: how,
      PG_WALG_ARCHIVE: 'on',
      PG_WALG_PG_MAJOR: '17',
      PG_WALG_RECOVERY_STYLE: 'recovery.signal',
      PG_WALG_ALLOW_NONEMPTY_ARCHIVE: 'true',
      PG_WALG_ATTEMPTS: '1',
      ...opts.env,
    });
    const argv = fs.existsSync(path.join(s.dir, 'argv')) ? fs.readFileSync(path.join(s.dir, 'argv'), 'utf8') : '';
    return {
      ...r,
      calls: s.calls(),
      pushed: s.calls().filter((c) => c.startsWith('backup-push')).length,
      // The server never ran with archive_mode on: pg_ctl start is the first start that archives.
      archivingStarts: argv.split('\n').filter((l) => / start$/.test(l)).length,
      checked: fs.existsSync(path.join(state, 'archive-timeline-checked')),
      pending: ['restore-pending', 'first-backup-pending'].filter((f) => fs.existsSync(path.join(state, f))),
      // The history files marked for the archiver (the stand-in server archives nothing).
      marked: fs.existsSync(path.join(pgdata, 'pg_wal', 'archive_status')) ? fs.readdirSync(path.join(pgdata, 'pg_wal', 'archive_status')).sort() : [],
    };
  }
  const refused = (timeline: string, backup: string) => `ERROR: the archive /archive/shared holds base backup ${backup} of another cluster on timeline ${timeline}, ` +
    'the timeline this new cluster archives on: WAL-G names WAL segments and base backups by timeline and position only, so this cluster\'s would overwrite that cluster\'s. ' +
    'allowNonEmptyArchive lets clusters share a location only on different timelines: use an empty prefix.';

  test('a new cluster (initdb, timeline 1) where another cluster has timeline-1 base backups is refused before it archives anything', () => {
    const r = start('initdb', [OTHER]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(refused('00000001', OTHER));
    expect([r.pushed, r.archivingStarts, r.checked]).toEqual([0, 0, false]);
    expect(r.pending).toEqual(['first-backup-pending']);
  });

  test('a new cluster (initdb) where the other cluster\'s base backups are all on timeline 2 archives, and pushes its first base backup', () => {
    const r = start('initdb', ['base_000000020000000000000007']);
    expect([r.status, r.pushed, r.checked, r.pending]).toEqual([0, 1, true, []]);
    expect(r.stderr).toContain('base backup base_000000010000000000000004 is in /archive/shared');
  });

  test('a restore promoted to timeline 3 archives onward where another cluster has timeline-1 and timeline-2 base backups', () => {
    const r = start('restore', [OTHER, 'base_000000020000000000000009'], { ours: 'base_00000003000000000000000A' });
    expect([r.status, r.pushed, r.checked, r.pending]).toEqual([0, 1, true, []]);
  });

  // PostgreSQL promotes a restore with archive_mode off (the archive env is not loaded then), which leaves the
  // new timeline's history file unmarked: a restore of the onward archive naming that timeline would fail
  // ("recovery target timeline 3 does not exist"). Marked, the archiver pushes it at the first archiving start.
  test('a restore archiving onward marks the history file of the timeline it was promoted to for the archiver, and no other', () => {
    const r = start('restore', [OTHER], { ours: 'base_00000003000000000000000A' });
    expect([r.status, r.pushed, r.marked]).toEqual([0, 1, ['00000003.history.ready']]);
  });

  test('a restore promoted to timeline 3 where another cluster has a timeline-3 base backup is refused, and at every start until the location changes', () => {
    const held = [OTHER, 'base_000000030000000000000005'];
    const r = start('restore', held);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(refused('00000003', 'base_000000030000000000000005'));
    expect([r.pushed, r.archivingStarts, r.checked]).toEqual([0, 0, false]);
    // The restore is done; what is left is the first base backup, which the next start tries again.
    expect(r.pending).toEqual(['first-backup-pending']);
  });

  // A failover (a standby, or a copy of the volume, promoted by PostgreSQL outside the library) begins a
  // timeline in the archive with its history file and WAL, and no base backup until one is pushed.
  const refusedHistory = (timeline: string) => `ERROR: the archive /archive/shared holds ${timeline}.history, the history file of timeline ${timeline}, the timeline this new cluster archives on: ` +
    'another server began that timeline there (a promotion: a failover, or a restore archiving there), and WAL-G names WAL segments and history files by timeline and position only, ' +
    'so this cluster\'s would overwrite that server\'s. allowNonEmptyArchive lets clusters share a location only on different timelines: use an empty prefix.';

  test('a restore promoted to timeline 2 where a failover began timeline 2 (its history file, no base backup on it) is refused, and at every start until the location changes', () => {
    const r = start('restore', [OTHER], { timeline: '00000002', histories: ['00000002.history'] });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(refusedHistory('00000002'));
    expect([r.pushed, r.archivingStarts, r.checked, r.pending]).toEqual([0, 0, false, ['first-backup-pending']]);
  });

  test('a restore promoted to timeline 3 archives onward where timeline 2\'s history file is, and 3\'s is not', () => {
    const r = start('restore', [OTHER], { ours: 'base_00000003000000000000000A', histories: ['00000002.history'] });
    expect([r.status, r.pushed, r.checked, r.pending]).toEqual([0, 1, true, []]);
    expect(r.calls.filter((c) => c.startsWith('wal-fetch'))).toEqual([expect.stringMatching(/^wal-fetch 00000003\.history /)]);
  });

  test('a storage error while it looks for the history file stops it, saying so, before it archives anything', () => {
    const r = start('restore', [OTHER], { fetch: 'echo "ERROR: 2026/11/30 10:04:37.859081 connection refused" >&2; exit 1' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('ERROR: cannot read the archive storage /archive/shared after 1 attempts to look for 00000003.history. Last error: wal-g exited 1: ERROR: 2026/11/30 10:04:37.859081 connection refused');
    expect([r.pushed, r.archivingStarts, r.checked]).toEqual([0, 0, false]);
  });

  test('a new cluster (initdb, timeline 1, which has no history file) does not look for one', () => {
    const r = start('initdb', ['base_000000020000000000000007']);
    expect([r.status, r.pushed]).toEqual([0, 1]);
    expect(r.calls.filter((c) => c.startsWith('wal-fetch'))).toEqual([]);
  });

  test('a start after the check passed does not take this cluster\'s own base backup for another\'s', () => {
    // Stopped after its first push and before it recorded it: the archive holds its own timeline-1 backup.
    const r = start('initdb', ['base_000000010000000000000004'], { existing: true, ours: 'base_000000010000000000000006', state: ['first-backup-pending', 'archive-timeline-checked'] });
    expect([r.stderr, r.status, r.pushed]).toEqual([expect.stringContaining('base backup base_000000010000000000000006 is in /archive/shared'), 0, 1]);
  });

  test('without allowNonEmptyArchive the check is not made: the archive was found empty before the fetch', () => {
    // (Here a backup on the restore's timeline is listed, which the check would refuse.)
    const r = start('restore', ['base_000000030000000000000005'], { env: { PG_WALG_ALLOW_NONEMPTY_ARCHIVE: 'false' } });
    expect([r.status, r.pushed, r.checked]).toEqual([0, 1, false]);
  });
});

// A base backup of another PostgreSQL major cannot be restored: the restore stops after the fetch, saying
// so, before any server runs on it (a modern version restoring an archive of an older major, or back).
describe.each(SHELLS.map((s) => [s.join(' '), s] as const))('a base backup of another major, under %s', (_name, shell) => {
  test.each([['14', '17'], ['17', '14'], ['11', '18']])('a backup of PostgreSQL %s restored by an image of PostgreSQL %s is refused', (backupMajor, imageMajor) => {
    const r = runRestore(shell, `case $1 in
  backup-list) printf '%s\\n' '${LIST}' ;;
  backup-fetch) echo ${backupMajor} >"$2/PG_VERSION"; mkdir -p "$2/global"; echo x >"$2/global/pg_control"; echo "START WAL LOCATION: 0/2000028" >"$2/backup_label" ;;
esac`, { 'restore.env': 'WALG_S3_PREFIX=s3://walg/pg\n' }, { PG_WALG_PG_MAJOR: imageMajor });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`ERROR: the base backup is of PostgreSQL ${backupMajor} but this image runs PostgreSQL ${imageMajor}; restore it with a PostgresVersion of the same major`);
    expect(r.stderr).not.toContain('replaying WAL');
  });
});
