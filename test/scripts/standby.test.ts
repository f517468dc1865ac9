// Hot standbys (replicas > 1) in the pod scripts: a new standby is made only from a base backup of the
// primary's database system; a member whose data disagrees with its role is not started; the primary
// (re)creates the replication role; wal-fetch.sh in a standby lets streaming go on while the archive is
// down, except during promote.sh; promote.sh promotes only a standby, once the archive answers.
import * as fs from 'fs';
import * as path from 'path';
import { notInArchive, SERVER, SHELLS, Stub, stub } from './stub';

const NEWEST = 'base_000000010000000000000004';
const LIST = `name last_modified wal_segment_backup_start
base_000000010000000000000002 2026-11-30T10:00:00Z 000000010000000000000002
${NEWEST} 2026-11-30T11:00:00Z 000000010000000000000004`;
const PRIMARY_ID = '7290000000000000001';
const OTHER_ID = '7290000000000000002';

/** global/pg_control whose first 8 bytes are the system identifier, little-endian, as PostgreSQL writes it here. */
function pgControl(id: string): Buffer {
  const b = Buffer.alloc(8192);
  b.writeBigUInt64LE(BigInt(id), 0);
  return b;
}

// The stand-in wal-g: a listing (none when $STUB_DIR/empty exists); backup-fetch writes a whole PGDATA whose
// pg_control is $WORK/pg_control; backup-push makes the listing non-empty; any WAL file is not in the archive, or the storage is down ($STUB_DIR/down).
const WALG = `[ -f "$STUB_DIR/down" ] && { echo "ERROR: dial tcp 127.0.0.1:9000: connect: connection refused" >&2; exit 1; }
case $1 in
  backup-list) if [ -f "$STUB_DIR/empty" ]; then echo "INFO: 2026/11/30 10:00:00.000000 No backups found" >&2; else printf '%s\\n' '${LIST}'; fi ;;
  backup-fetch)
    echo "$MAJOR" >"$2/PG_VERSION"; mkdir -p "$2/global"; cp "$WORK/pg_control" "$2/global/pg_control"
    echo "START WAL LOCATION: 0/4000028" >"$2/backup_label" ;;
  backup-push) rm -f "$STUB_DIR/empty" ;;
  wal-fetch) printf '%s\n' "${notInArchive('$2').trim()}" >&2; exit 1 ;;
esac`;

// psql: IDENTIFY_SYSTEM answers the primary's identifier (or fails while $STUB_DIR/primary-down exists);
// pg_is_in_recovery() answers $STUB_DIR/recovery's content (t by default).
const PSQL = `printf '%s\\n' "psql $*" >>"$STUB_DIR/argv"
case "$*" in
  *IDENTIFY_SYSTEM*)
    [ -f "$STUB_DIR/primary-down" ] && { echo 'psql: error: connection to server at "db-0.db-pods" (10.0.0.7), port 5432 failed: Connection refused' >&2; exit 2; }
    echo "$PRIMARY_ID|1|0/4000148|" ;;
  *"pg_is_in_recovery()"*) if [ -f "$STUB_DIR/recovery" ]; then cat "$STUB_DIR/recovery"; else echo t; fi ;;
  *) echo 1 ;;
esac`;

function member(role: 'primary' | 'standby', env: Record<string, string> = {}): { s: Stub; env: Record<string, string>; pgdata: string } {
  const s = stub(WALG, { ...SERVER, psql: PSQL, pg_ctl: `${SERVER.pg_ctl}\necho f >"$STUB_DIR/recovery"` });
  for (const [name, text] of Object.entries({
    'postgresql.conf': '# settings\n',
    'pg_hba.conf': 'local all all trust\n',
    'archive.env': 'WALG_FILE_PREFIX=/archive/pg\n',
  })) s.config(name, text);
  for (const [dir, key, value] of [['auth', 'POSTGRES_PASSWORD', 'pa55word\n'], ['replication', 'REPLICATION_PASSWORD', "re:pl'i\\ca\n"]]) {
    fs.mkdirSync(path.join(s.work, 'secrets', dir), { recursive: true });
    fs.writeFileSync(path.join(s.work, 'secrets', dir, key), value);
  }
  fs.writeFileSync(path.join(s.work, 'pg_control'), pgControl(PRIMARY_ID));
  const pgdata = path.join(s.work, 'data');
  return {
    s,
    pgdata,
    env: {
      PGDATA: pgdata,
      PG_WALG_STATE: path.join(s.work, 'state'),
      PGHOST: s.work,
      PGPORT: '5432',
      PG_WALG_SECRETS: path.join(s.work, 'secrets'),
      PG_WALG_BOOTSTRAP: 'initdb',
      PG_WALG_ARCHIVE: 'on',
      PG_WALG_PG_MAJOR: '17',
      MAJOR: '17',
      PRIMARY_ID,
      PG_WALG_RECOVERY_STYLE: 'recovery.signal',
      PG_WALG_ATTEMPTS: '2',
      PG_WALG_ROLE: role,
      PG_WALG_REPLICATION_USER: 'streaming_replica',
      ...(role === 'standby' ? { PG_WALG_PRIMARY_HOST: 'db-0.db-pods' } : {}),
      ...env,
    },
  };
}

const argv = (s: Stub) => (fs.existsSync(path.join(s.dir, 'argv')) ? fs.readFileSync(path.join(s.dir, 'argv'), 'utf8') : '');

describe.each(SHELLS.map((sh) => [sh.join(' '), sh] as const))('a new hot standby, under %s', (_name, shell) => {
  test('is made from the newest base backup once the primary has said which database system it runs (PostgreSQL 12 and later)', () => {
    const { s, env, pgdata } = member('standby');
    const r = s.run(shell, 'bootstrap.sh', [], env);
    expect(r.stderr).toContain(`pg-walg: making a hot standby of db-0.db-pods from base backup ${NEWEST} at /archive/pg`);
    expect(r.status).toBe(0);
    expect(s.calls().filter((c) => c.startsWith('backup-fetch'))).toEqual([`backup-fetch ${pgdata} ${NEWEST}`]);
    expect(fs.existsSync(path.join(pgdata, 'standby.signal'))).toBe(true);
    expect(fs.existsSync(path.join(env.PG_WALG_STATE, 'pgdata-incomplete'))).toBe(false);
    const conf = fs.readFileSync(path.join(pgdata, 'pg-walg.conf'), 'utf8');
    expect(conf).toContain('# Hot standby settings (ignored once promoted)\n' +
      "primary_conninfo = 'host=db-0.db-pods port=5432 user=streaming_replica connect_timeout=5 application_name=");
    expect(conf).toContain(`restore_command = 'sh "${s.configDir}/wal-fetch.sh" %f %p standby'\nrecovery_target_timeline = 'latest'\n`);
    // application_name: the pod's name (its host name), each character outside [A-Za-z0-9_-] an underscore.
    const podName = fs.readFileSync('/proc/sys/kernel/hostname', 'utf8').trim();
    expect(conf).toContain(`application_name=${podName.replace(/[^A-Za-z0-9_-]/g, '_')}'\n`);
    // The primary was asked over a replication connection, the password in no argument.
    expect(argv(s)).toMatch(/psql -X -At -c IDENTIFY_SYSTEM host=db-0\.db-pods port=5432 user=streaming_replica connect_timeout=5 application_name=\S+ dbname=replication replication=true/);
    expect(argv(s)).not.toContain('re:pl');
    // The password file: escaped as libpq reads it, mode 0600.
    const pgpass = path.join(s.work, '.pgpass');
    expect(fs.readFileSync(pgpass, 'utf8')).toBe("*:*:*:streaming_replica:re\\:pl'i\\\\ca\n");
    expect((fs.statSync(pgpass).mode % 0o1000).toString(8)).toBe('600');
    // Named by PGPASSFILE in the env of the postgres it execs, which its walreceiver inherits: libpq before
    // PostgreSQL 16 looks for ~/.pgpass in the passwd entry's home, not $HOME.
    expect(fs.readFileSync(path.join(s.dir, 'postgres-env'), 'utf8')).toContain(`PGPASSFILE=${pgpass}\n`);
    // No first base backup, no replication role: the standby pushes nothing and creates nothing.
    expect(s.calls().filter((c) => c.startsWith('backup-push') || c.startsWith('wal-push'))).toEqual([]);
    expect(argv(s)).not.toContain('--single');
    expect(r.stderr).toContain('pg-walg: hot standby of db-0.db-pods, falling back to the archive /archive/pg');
  });

  test('up to PostgreSQL 11, its recovery.conf holds standby_mode and is written again at every start', () => {
    const { s, env, pgdata } = member('standby', { PG_WALG_RECOVERY_STYLE: 'recovery.conf', PG_WALG_PG_MAJOR: '11', MAJOR: '11' });
    expect(s.run(shell, 'bootstrap.sh', [], env).status).toBe(0);
    const conf = fs.readFileSync(path.join(pgdata, 'recovery.conf'), 'utf8');
    expect(conf).toMatch(/^# Hot standby settings of cdk8s-postgres-walg \(written at every start\)\nstandby_mode = 'on'\nprimary_conninfo = 'host=db-0\.db-pods /);
    expect(fs.readFileSync(path.join(pgdata, 'pg-walg.conf'), 'utf8')).not.toContain('primary_conninfo');
    fs.writeFileSync(path.join(pgdata, 'recovery.conf'), "standby_mode = 'on'\n");
    expect(s.run(shell, 'bootstrap.sh', [], { ...env, PG_WALG_PRIMARY_PORT: '6543' }).status).toBe(0);
    expect(fs.readFileSync(path.join(pgdata, 'recovery.conf'), 'utf8')).toContain("primary_conninfo = 'host=db-0.db-pods port=6543 ");
    expect(s.calls().filter((c) => c.startsWith('backup-fetch'))).toHaveLength(1);
  });

  test('a base backup of another database system is refused, and fetched again at the next start', () => {
    const { s, env } = member('standby');
    fs.writeFileSync(path.join(s.work, 'pg_control'), pgControl(OTHER_ID));
    const r = s.run(shell, 'bootstrap.sh', [], env);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`ERROR: base backup ${NEWEST} at /archive/pg is of database system ${OTHER_ID}, but the primary db-0.db-pods runs database system ${PRIMARY_ID}: ` +
      "it is another cluster's (allowNonEmptyArchive lets clusters share a location). A standby made from it would serve that cluster's data and never follow the primary, so none is made: " +
      'give the cluster an archive of its own, or push a base backup of the primary there');
    expect(fs.existsSync(path.join(env.PG_WALG_STATE, 'pgdata-incomplete'))).toBe(true);
    expect(argv(s)).not.toMatch(/^postgres -D/m);
    fs.writeFileSync(path.join(s.work, 'pg_control'), pgControl(PRIMARY_ID));
    expect(s.run(shell, 'bootstrap.sh', [], env).status).toBe(0);
    expect(s.calls().filter((c) => c.startsWith('backup-fetch'))).toHaveLength(2);
  });

  test('no standby is made before the primary answers, nor before the archive holds a base backup', () => {
    const { s, env } = member('standby');
    fs.writeFileSync(path.join(s.dir, 'primary-down'), '');
    const down = s.run(shell, 'bootstrap.sh', [], env);
    expect(down.status).toBe(1);
    expect(down.stderr).toContain('ERROR: cannot ask the primary db-0.db-pods (port 5432) for its database system identifier after 2 attempts, as the replication role streaming_replica: ' +
      'a new standby is made only once the primary answers. Last error: psql: error: connection to server at "db-0.db-pods" (10.0.0.7), port 5432 failed: Connection refused');
    expect(s.calls()).toEqual([]);
    fs.rmSync(path.join(s.dir, 'primary-down'));
    fs.writeFileSync(path.join(s.dir, 'empty'), '');
    const empty = s.run(shell, 'bootstrap.sh', [], env);
    expect(empty.status).toBe(1);
    expect(empty.stderr).toContain('ERROR: no base backup in /archive/pg yet (the primary pushes its first one before it accepts clients): a new standby is made from one; this pod starts again and looks again');
    expect(s.calls().filter((c) => c.startsWith('backup-fetch'))).toEqual([]);
  });

  test('the storage down while it fetches the base backup stops the start after the attempts', () => {
    const { s, env } = member('standby');
    fs.writeFileSync(path.join(s.dir, 'down'), '');
    const r = s.run(shell, 'bootstrap.sh', [], env);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('ERROR: cannot read the archive storage /archive/pg after 2 attempts');
    expect(s.calls().filter((c) => c.startsWith('backup-fetch'))).toEqual([]);
  });
});

describe.each(SHELLS.map((sh) => [sh.join(' '), sh] as const))('a member whose data and role disagree, under %s', (_name, shell) => {
  test('a standby member with a primary\'s data (the old primary after a failover) is not started', () => {
    const { s, env, pgdata } = member('standby');
    fs.mkdirSync(pgdata, { recursive: true });
    fs.writeFileSync(path.join(pgdata, 'PG_VERSION'), '17\n');
    fs.writeFileSync(path.join(pgdata, 'postgresql.conf'), '');
    const r = s.run(shell, 'bootstrap.sh', [], env);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("ERROR: this member is a standby of the manifests, but its data is a primary's: the old primary after a promotion of another member, " +
      'or a standby promoted by hand before primaryMember named it. Two primaries would write two histories, so it is not started: if another member is now the primary, ' +
      "rebuild this one as its standby (delete this pod's PersistentVolumeClaim, then the pod); if this member is the new primary, set primaryMember to it. See the README's promotion runbook");
    expect(argv(s)).not.toMatch(/^postgres -D/m);
  });

  test.each([['standby.signal', 'recovery.signal'], ['recovery.conf', 'recovery.conf']])('the primary member with a standby\'s data (%s) is not promoted by the library', (file, style) => {
    const { s, env, pgdata } = member('primary', { PG_WALG_RECOVERY_STYLE: style });
    fs.mkdirSync(pgdata, { recursive: true });
    fs.writeFileSync(path.join(pgdata, 'PG_VERSION'), '17\n');
    fs.writeFileSync(path.join(pgdata, 'postgresql.conf'), '');
    fs.writeFileSync(path.join(pgdata, file), '');
    const r = s.run(shell, 'bootstrap.sh', [], env);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("ERROR: this member is the primaryMember, but its data is a hot standby's: the library never promotes a standby by itself " +
      '(the old primary could still be accepting writes). Make sure the old primary is stopped, then promote this member by hand (kubectl exec ');
    expect(fs.existsSync(path.join(pgdata, file))).toBe(true);
    expect(argv(s)).not.toMatch(/^postgres -D/m);
  });

  test('a single instance (no PG_WALG_ROLE) with standby.signal starts as PostgreSQL says, as a failover tool expects', () => {
    const { s, env, pgdata } = member('primary');
    delete env.PG_WALG_ROLE;
    fs.mkdirSync(pgdata, { recursive: true });
    fs.writeFileSync(path.join(pgdata, 'PG_VERSION'), '17\n');
    fs.writeFileSync(path.join(pgdata, 'postgresql.conf'), '');
    fs.writeFileSync(path.join(pgdata, 'standby.signal'), '');
    const r = s.run(shell, 'bootstrap.sh', [], env);
    expect(r.status).toBe(0);
    expect(argv(s)).toMatch(/^postgres -D /m);
    expect(argv(s)).not.toContain('--single');
  });
});

describe.each(SHELLS.map((sh) => [sh.join(' '), sh] as const))('the primary member, under %s', (_name, shell) => {
  test('creates the replication role with REPLICATION and LOGIN only at every start, the password on the single-user backend\'s stdin', () => {
    const { s, env } = member('primary');
    fs.writeFileSync(path.join(s.dir, 'empty'), '');
    const r = s.run(shell, 'bootstrap.sh', [], env);
    expect(r.status).toBe(0);
    const sql = fs.readFileSync(path.join(s.dir, 'single.sql'), 'utf8').split('\n');
    expect(sql[0]).toMatch(/^SELECT set_config\(name, value, false\) FROM \(VALUES \('log_statement', 'none'\)/);
    expect(sql[1]).toBe("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'streaming_replica') THEN CREATE ROLE \"streaming_replica\"; END IF; END $$;");
    expect(sql[2]).toBe("ALTER ROLE \"streaming_replica\" WITH NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT LOGIN REPLICATION NOBYPASSRLS PASSWORD E're:pl''i\\\\ca';");
    expect(argv(s)).not.toContain('re:pl');
    // initdb, the first base backup, then the role, then the server.
    const order = argv(s).split('\n').filter((l) => /^(initdb|postgres --single|postgres -D)/.test(l)).map((l) => l.split(' ').slice(0, 2).join(' '));
    expect(order).toEqual(['initdb -D', 'postgres --single', 'postgres --single', 'postgres -D']);
    expect(s.calls().filter((c) => c.startsWith('backup-push'))).toHaveLength(1);
    fs.rmSync(path.join(s.dir, 'single.sql'));
    expect(s.run(shell, 'bootstrap.sh', [], env).status).toBe(0);
    expect(fs.readFileSync(path.join(s.dir, 'single.sql'), 'utf8')).toContain('ALTER ROLE "streaming_replica"');
  });

  test('an empty replication password stops the start, naming the key and not the value', () => {
    const { s, env } = member('primary');
    fs.writeFileSync(path.join(s.work, 'secrets', 'replication', 'REPLICATION_PASSWORD'), '\n');
    const r = s.run(shell, 'bootstrap.sh', [], env);
    expect(r.status).toBe(1);
    expect(argv(s)).toBe(''); // before initdb
    expect(r.stderr).toContain('ERROR: the replication password (the key of the Secret that replicationPassword names, mounted as replication/REPLICATION_PASSWORD) is empty');
  });
});

describe.each(SHELLS.map((sh) => [sh.join(' '), sh] as const))('wal-fetch.sh in a hot standby, under %s', (_name, shell) => {
  function fetch(promoting: boolean) {
    const { s, env } = member('standby', { PG_WALG_ATTEMPTS: '3', PG_WALG_RETRY_SECONDS: '0' });
    s.config('archive.env', 'WALG_FILE_PREFIX=/archive/pg\n');
    fs.writeFileSync(path.join(s.dir, 'down'), '');
    fs.mkdirSync(env.PG_WALG_STATE, { recursive: true });
    if (promoting) fs.writeFileSync(path.join(env.PG_WALG_STATE, 'promoting'), '');
    const r = s.run(shell, 'wal-fetch.sh', ['000000010000000000000007', path.join(s.work, 'out'), 'standby'], { ...env, WALG_FILE_PREFIX: '/archive/pg' });
    return { r, fetches: s.calls().filter((c) => c.startsWith('wal-fetch')).length };
  }

  test('a storage error is "not there yet" after one attempt: the standby streams meanwhile', () => {
    const { r, fetches } = fetch(false);
    expect(r.status).toBe(1);
    expect(fetches).toBe(1);
    expect(r.stderr).toContain('pg-walg: WARNING: cannot fetch 000000010000000000000007 from /archive/pg (failed: ');
    expect(r.stderr).toContain('the standby streams from the primary meanwhile and tries the archive again');
  });

  test('while promote.sh promotes it, a storage error aborts recovery after the attempts instead of promoting without the file', () => {
    const { r, fetches } = fetch(true);
    expect(r.status).toBe(255);
    expect(fetches).toBe(3);
    expect(r.stderr).toContain('ERROR: cannot fetch 000000010000000000000007 from /archive/pg; aborting recovery rather than ending it early');
  });
});

describe.each(SHELLS.map((sh) => [sh.join(' '), sh] as const))('promote.sh, under %s', (_name, shell) => {
  function standbyData(role: 'standby' | 'primary' = 'standby') {
    const m = member(role);
    fs.mkdirSync(path.join(m.pgdata, 'pg_wal'), { recursive: true });
    fs.writeFileSync(path.join(m.pgdata, 'PG_VERSION'), '17\n');
    fs.writeFileSync(path.join(m.pgdata, 'standby.signal'), '');
    fs.writeFileSync(path.join(m.pgdata, 'pg_wal', '00000002.history'), '1\t0/5000000\tno recovery target specified\n');
    fs.mkdirSync(m.env.PG_WALG_STATE, { recursive: true });
    return m;
  }

  test('promotes a standby once the archive answers, with the promoting mark while PostgreSQL replays the archive', () => {
    const { s, env } = standbyData();
    // pg_ctl records whether the mark was there when it was called.
    fs.writeFileSync(path.join(s.dir, 'bin', 'pg_ctl'), '#!/bin/sh\nprintf \'%s mark=%s\\n\' "pg_ctl $*" "$(ls "$PG_WALG_STATE")" >>"$STUB_DIR/argv"\necho f >"$STUB_DIR/recovery"\n', { mode: 0o755 });
    const r = s.run(shell, 'promote.sh', [], env);
    expect(r.stderr).toContain('pg-walg: promoted: ');
    expect(r.stderr).toContain(' is a primary on timeline 00000002, archiving to /archive/pg. Next: set primaryMember to this member and apply; then rebuild the old primary as its standby');
    expect(r.status).toBe(0);
    expect(argv(s)).toContain(`pg_ctl -D ${env.PGDATA} promote mark=promoting`);
    expect(fs.existsSync(path.join(env.PG_WALG_STATE, 'promoting'))).toBe(false);
  });

  test('refuses a member that is not a standby, and waits for an archive that does not answer', () => {
    const notStandby = standbyData();
    fs.rmSync(path.join(notStandby.pgdata, 'standby.signal'));
    const r1 = notStandby.s.run(shell, 'promote.sh', [], notStandby.env);
    expect(r1.status).toBe(1);
    expect(r1.stderr).toContain(`ERROR: this member's data is not a hot standby's (no standby.signal or recovery.conf in ${notStandby.pgdata}): nothing to promote`);

    const down = standbyData();
    fs.writeFileSync(path.join(down.s.dir, 'down'), '');
    const r2 = down.s.run(shell, 'promote.sh', [], down.env);
    expect(r2.status).toBe(1);
    expect(r2.stderr).toContain('ERROR: cannot read the archive /archive/pg after 2 attempts: the promotion replays what it holds first, so it waits for the archive.');
    expect(argv(down.s)).not.toContain('promote');
    expect(fs.existsSync(path.join(down.env.PG_WALG_STATE, 'promoting'))).toBe(false);
  });

  test('a bootstrap after a promotion that did not complete starts the member as it was, without the mark', () => {
    const { s, env } = standbyData();
    fs.writeFileSync(path.join(env.PG_WALG_STATE, 'promoting'), '');
    fs.writeFileSync(path.join(env.PGDATA, 'postgresql.conf'), '');
    const r = s.run(shell, 'bootstrap.sh', [], env);
    expect(r.stderr).toContain('pg-walg: a promotion by promote.sh did not complete before this start: this member starts as it was; run promote.sh again to promote it');
    expect(r.status).toBe(0);
    expect(fs.existsSync(path.join(env.PG_WALG_STATE, 'promoting'))).toBe(false);
    expect(fs.existsSync(path.join(env.PGDATA, 'standby.signal'))).toBe(true);
  });
});
