// The decisions of lib.sh that stand between WAL-G and data loss: whether a fetched WAL file is there
// whole, missing, or not known (fetch_outcome); whether an empty backup list is an empty archive
// (list_backups); whether a base backup was really pushed (push_base_backup) or fetched whole
// (fetch_base_backup). Each case runs the real functions under dash and busybox sh.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { PostgresVersion } from '../../src';
import { newChart, PROVIDER_LIST, storageFor } from '../util';
import { notInArchive, SHELLS, stub, walSegment } from './stub';
import { WALG_OUTPUT } from './walg-output';

const SEG = '000000010000000000000003';
const NOW = 'ERROR: 2026/11/30 10:04:38.115958';

describe.each(SHELLS.map((s) => [s.join(' '), s] as const))('fetch_outcome under %s', (_name, shell) => {
  const s = stub('exit 0');
  const dest = path.join(s.work, 'RECOVERYXLOG');
  const errlog = path.join(s.work, 'errlog');

  function outcome(rc: number, log: string, file: string, notFoundExit = '1', content?: (f: string) => void): string {
    fs.rmSync(dest, { force: true });
    if (content) content(dest);
    fs.writeFileSync(errlog, log);
    const r = s.lib(shell, 'fetch_outcome "$@"', [file, dest, String(rc), errlog], { PG_WALG_FETCH_NOT_FOUND_EXIT: notFoundExit });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return r.stdout.trim();
  }

  // "Not in the archive": WAL-G's message for exactly this file, with the release's not-found code.
  test.each([
    ['WAL-G 0.2.x and 1.x: exit 1 and the message', 1, '1', notInArchive(SEG)],
    ['WAL-G 1.x prints a blank line after it', 1, '1', `${notInArchive(SEG)}\n`],
    ['WAL-G 2.0 and later: exit 74 and the message', 74, '74', notInArchive(SEG)],
    ['with a prefetch notice before it', 1, '1', `INFO: 2026/11/30 10:04:37 WAL-prefetch file:  000000010000000000000004\n${notInArchive(SEG)}`],
  ])('%s: missing', (_what, rc, code, log) => {
    expect(outcome(rc, log, SEG, code)).toBe('missing');
  });

  test.each([
    ['74 where the version says 1 (walgVersion too old)', 74, '1'],
    ['1 where the version says 74 (walgVersion too new)', 1, '74'],
  ])('WAL-G\'s not-found message with exit %s: failed, with a hint at walgVersion', (_what, rc, code) => {
    expect(outcome(rc, notInArchive(SEG), SEG, code)).toBe(`failed: wal-g exited ${rc}: ${notInArchive(SEG).trim()} (WAL-G's not-found message with exit ${rc} where ${code} was expected: does the PostgresVersion's walgVersion name the image's WAL-G?)`);
  });

  test('a history file that is not in the archive is missing', () => {
    expect(outcome(1, notInArchive('00000002.history'), '00000002.history')).toBe('missing');
  });

  // Everything else is not "missing": the restore retries, then aborts recovery.
  test.each([
    // The exit code alone is not enough, nor the message alone.
    ['exit 1 without a message', 1, '1', ''],
    ['exit 74 without the message (WAL-G 3)', 74, '74', 'ERROR: 2026/11/30 10:04:38 unknown\n'],
    ['the message with exit 1 where the release says 74', 1, '74', notInArchive(SEG)],
    ['the message for another file', 1, '1', notInArchive('000000010000000000000004')],
    ['the message without WAL-G\'s ERROR prefix', 1, '1', `Archive '${SEG}' does not exist.\n`],
    ['the message after another error', 1, '1', `${NOW} RequestError: send request failed caused by: connect: connection refused\n${notInArchive(SEG)}`],
    ['the message before another error', 1, '1', `${notInArchive(SEG)}${NOW} context deadline exceeded\n`],
    ['the message inside another error', 1, '1', `${NOW} failed to fetch: Archive '${SEG}' does not exist. (while retrying after: 503 SlowDown)\n`],
    // S3 and MinIO (aws-sdk-go wordings)
    ['S3: connection refused', 1, '1', `${NOW} failed to read object: 'pg/wal_005/${SEG}.lz4' from S3: RequestError: send request failed\ncaused by: Get "http://127.0.0.1:9000/walg/pg/wal_005/${SEG}.lz4": dial tcp 127.0.0.1:9000: connect: connection refused\n`],
    ['S3: a bucket that does not exist', 1, '1', `${NOW} failed to read object: 'pg/wal_005/${SEG}.lz4' from S3: NoSuchBucket: The specified bucket does not exist\n\tstatus code: 404, request id: 1, host id: 2\n`],
    ['S3: wrong keys', 1, '1', `${NOW} failed to read object: 'pg/wal_005/${SEG}.lz4' from S3: InvalidAccessKeyId: The Access Key Id you provided does not exist in our records.\n\tstatus code: 403\n`],
    ['S3: expired credentials', 1, '1', `${NOW} failed to read object: 'pg/wal_005/${SEG}.lz4' from S3: ExpiredToken: The provided token has expired.\n\tstatus code: 400\n`],
    ['S3: access denied (a missing key without s3:ListBucket looks like this)', 1, '1', `${NOW} failed to read object: 'pg/wal_005/${SEG}.lz4' from S3: AccessDenied: Access Denied\n\tstatus code: 403\n`],
    ['S3: a 5xx', 1, '1', `${NOW} failed to read object: 'pg/wal_005/${SEG}.lz4' from S3: InternalError: We encountered an internal error, please try again.\n\tstatus code: 500\n`],
    ['S3: throttled', 1, '1', `${NOW} failed to read object: 'pg/wal_005/${SEG}.lz4' from S3: SlowDown: Please reduce your request rate.\n\tstatus code: 503\n`],
    // GCS (cloud.google.com/go/storage wordings)
    ['GCS: a timeout', 1, '1', `${NOW} context deadline exceeded\n`],
    ['GCS: a 503', 1, '1', `${NOW} googleapi: Error 503: Backend Error, backendError\n`],
    ['GCS: a bucket that does not exist', 1, '1', `${NOW} storage: bucket doesn't exist\n`],
    ['GCS: connection reset', 1, '1', `${NOW} Get "https://storage.googleapis.com/walg/pg/wal_005/${SEG}.lz4": read tcp 10.0.0.2:4321->142.250.1.1:443: read: connection reset by peer\n`],
    // Azure (azure-storage-blob-go wordings)
    ['Azure: a container that does not exist', 1, '1', `${NOW} ===== RESPONSE ERROR (ServiceCode=ContainerNotFound) =====\nDescription=The specified container does not exist.\n`],
    ['Azure: wrong key', 1, '1', `${NOW} ===== RESPONSE ERROR (ServiceCode=AuthenticationFailed) =====\nDescription=Server failed to authenticate the request.\n`],
    ['Azure: no such host', 1, '1', `${NOW} dial tcp: lookup walg.blob.core.windows.net: no such host\n`],
    // Swift (ncw/swift wordings)
    ['Swift: a timeout', 1, '1', `${NOW} Unable to OPEN Object pg/wal_005/${SEG}.lz4: Timeout when reading or writing data\n`],
    ['Swift: wrong key', 1, '1', `${NOW} Authorization Failure\n`],
    ['Swift: a container that does not exist', 1, '1', `${NOW} Unable to OPEN Object pg/wal_005/${SEG}.lz4: Container Not Found\n`],
    // Local (a volume that is gone or unreadable)
    ['Local: permission denied', 1, '1', `${NOW} FS error : Unable to read object /var/walg-archive/pg/wal_005/${SEG}.lz4: open /var/walg-archive/pg/wal_005/${SEG}.lz4: permission denied\n`],
    ['Local: the archive folder is gone', 1, '1', `${NOW} FS error : Folder not exists or is inaccessible: stat /var/walg-archive/pg: no such file or directory\n`],
    // The pod's own bound, and anything unknown
    ['killed by the time bound', 143, '1', 'timed out after 300 s\n'],
    ['a signal', 137, '74', ''],
    ['an unknown message', 1, '1', `${NOW} something new went wrong\n`],
    ['a decompression error (a partial object)', 1, '1', `${NOW} lz4: invalid header checksum: got 7 expected 58\n`],
  ])('%s: failed', (_what, rc, code, log) => {
    expect(outcome(rc, log, SEG, code)).toMatch(/^failed: wal-g exited \d+: /);
  });

  test('exit 0 and a whole segment: fetched', () => {
    expect(outcome(0, '', SEG, '1', (f) => walSegment(f))).toBe('fetched');
  });
  test('exit 0 and a whole 16 MiB segment: fetched', () => {
    expect(outcome(0, '', SEG, '74', (f) => walSegment(f, 16 * 1024 * 1024))).toBe('fetched');
  });
  test('exit 0 and a history file: fetched', () => {
    expect(outcome(0, '', '00000002.history', '1', (f) => fs.writeFileSync(f, '1\t0/3000000\tno recovery target specified\n'))).toBe('fetched');
  });
  test.each([
    ['no file', undefined, /RECOVERYXLOG is missing or empty$/],
    ['an empty file', (f: string) => fs.writeFileSync(f, ''), /RECOVERYXLOG is missing or empty$/],
    ['a partial segment', (f: string) => walSegment(f, 512 * 1024, 1024 * 1024), /RECOVERYXLOG is partial: 524288 bytes of a 1048576-byte WAL segment$/],
    ['a file that is no WAL', (f: string) => fs.writeFileSync(f, 'x'.repeat(4096)), /RECOVERYXLOG does not start with a WAL page header \(magic 30840\)$/],
    ['a few bytes', (f: string) => fs.writeFileSync(f, 'x'.repeat(5)), /RECOVERYXLOG is partial: 5 bytes, shorter than a WAL page header$/],
    ['an empty history file', (f: string) => fs.writeFileSync(f, ''), /RECOVERYXLOG is missing or empty$/],
  ])('exit 0 but %s: failed', (_what, content, why) => {
    const file = _what.includes('history') ? '00000002.history' : SEG;
    const o = outcome(0, '', file, '1', content);
    expect(o).toMatch(/^failed: wal-g exited 0 but /);
    expect(o).toMatch(why);
  });
});

describe.each(SHELLS.map((s) => [s.join(' '), s] as const))('list_backups under %s', (_name, shell) => {
  const LIST = 'name                          last_modified        wal_segment_backup_start\nbase_000000010000000000000002 2026-11-30T10:00:00Z 000000010000000000000002\n';
  function list(backupList: string, probe: string) {
    const s = stub(`case $1 in\n  backup-list) ${backupList} ;;\n  wal-fetch) ${probe} ;;\nesac`);
    const r = s.lib(shell, 'list_backups restore', [], { WALG_FILE_PREFIX: '/nowhere' });
    return { ...r, calls: s.calls() };
  }
  const missing = 'printf \'%s\' "ERROR: 2026/11/30 Archive \'$2\' does not exist." >&2; exit 1';
  const down = 'echo "ERROR: 2026/11/30 dial tcp 127.0.0.1:9000: connect: connection refused" >&2; exit 1';

  test('a list: its names and times', () => {
    const r = list(`printf '%s' '${LIST}'`, 'exit 99');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('base_000000010000000000000002 2026-11-30T10:00:00Z\n');
    expect(r.calls).toEqual(['backup-list']);
  });
  test('"No backups found" from a storage that answers (the probe is "not in the archive"): empty', () => {
    const r = list('echo "INFO: 2026/11/30 No backups found" >&2', missing);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.calls).toEqual(['backup-list', 'wal-fetch 000000010000000000000000 ' + r.calls[1].split(' ')[2]]);
  });
  test('WAL-G 0.2.12 and earlier: "No backups found" with exit 1, storage answering: empty', () => {
    expect(list('echo "ERROR: 2026/11/30 No backups found" >&2; exit 1', missing)).toMatchObject({ status: 0, stdout: '' });
  });
  test('WAL-G 0.2.13 to 1.1.1 with the storage down ("No backups found", exit 0): retried, then an error, never "empty"', () => {
    const r = list('echo "INFO: 2026/11/30 No backups found" >&2', down);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('attempt 3/3 to list the base backups at /nowhere failed: wal-g backup-list said "No backups found", but the storage does not answer: the probe read failed: wal-g exited 1: ERROR: 2026/11/30 dial tcp 127.0.0.1:9000: connect: connection refused');
    expect(r.stderr).toContain('ERROR: cannot read the restore storage /nowhere after 3 attempts');
    expect(r.calls.filter((c) => c === 'backup-list')).toHaveLength(3);
  });
  test('"No backups found" beside another error (a listing refused): an error, never "empty"', () => {
    const r = list('echo "ERROR: 2026/11/30 AccessDenied: Access Denied status code: 403 (ListObjectsV2)" >&2; echo "INFO: 2026/11/30 No backups found" >&2', missing);
    expect(r.status).toBe(1);
    expect(r.calls.filter((c) => c.startsWith('wal-fetch'))).toEqual([]);
  });
  test('"No backups found" with a base backup listed: an error', () => {
    expect(list(`printf '%s' '${LIST}'; echo "INFO: No backups found" >&2; exit 1`, missing).status).toBe(1);
  });
  test('exit 0 with neither a list nor "No backups found": an error', () => {
    const r = list('echo "name last_modified wal_segment_backup_start"', missing);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('failed: wal-g backup-list exited 0: ');
    expect(r.calls).toEqual(['backup-list', 'backup-list', 'backup-list']);
  });
  test('a storage error: an error naming it', () => {
    const r = list(down, missing);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('Last error: wal-g backup-list exited 1: ERROR: 2026/11/30 dial tcp 127.0.0.1:9000: connect: connection refused');
  });
});

// The finish times in WAL-G's detailed list (`backup-list --detail --json`), read with awk alone: Debian's
// mawk (under dash) and busybox's awk (under busybox sh, as in the Alpine images).
const AWKS = [['dash and mawk', ['sh'], {}], ['busybox sh and busybox awk', ['busybox', 'sh'], { awk: 'exec busybox awk "$@"' }]] as const;
describe.each(AWKS)('finish_times_json under %s', (_name, shell, others) => {
  const s = stub('exit 0', others);
  function read(json: string) {
    fs.writeFileSync(path.join(s.work, 'detail.json'), json);
    return s.lib(shell, 'finish_times_json "$1"', [path.join(s.work, 'detail.json')]);
  }
  const B2 = 'base_000000010000000000000002';
  const B4 = 'base_000000010000000000000004';

  test.each(Object.entries(WALG_OUTPUT).flatMap(([v, o]) => Object.entries(o.detailJson).map(([tz, text]) => [v, tz, text] as const)))(
    'the output of WAL-G %s (TZ=%s): each backup and its finish time, in UTC with its fraction', (_v, _tz, text) => {
      const expected = (JSON.parse(text) as any[]).map((b) => `${b.backup_name} ${b.finish_time}\n`).join('');
      expect(expected).toMatch(/^base_\S+ 2026-11-30T\S+\.\d+Z\nbase_\S+ 2026-11-30T\S+\.\d+Z\n$/);
      expect(read(text)).toMatchObject({ status: 0, stdout: expected });
    });

  test('what strings hold is not structure: quotes, backslashes, braces, brackets, colons and commas in a host name or a data directory', () => {
    const r = read(JSON.stringify([
      { backup_name: B2, hostname: 'a "quoted" host, {with} [braces]: \\', data_dir: 'C:\\data\\" ], "finish_time": "1999', finish_time: '2026-11-30T15:59:20.348563Z' },
      { data_dir: '\\\\"}{', backup_name: B4, finish_time: '2026-11-30T15:59:25.336138Z', is_permanent: false },
    ]));
    expect(r).toMatchObject({ status: 0, stdout: `${B2} 2026-11-30T15:59:20.348563Z\n${B4} 2026-11-30T15:59:25.336138Z\n` });
  });

  test('only the members of each listed backup count, not those of nested user data', () => {
    const r = read(JSON.stringify([{ user_data: { backup_name: 'base_FFFFFFFF0000000000000000', finish_time: '2026-11-30T00:00:00Z', x: [{ finish_time: '2026-11-30T00:00:01Z' }] }, backup_name: B2, finish_time: '2026-11-30T15:59:20.348563Z', tags: ['finish_time', 'x'] }]));
    expect(r).toMatchObject({ status: 0, stdout: `${B2} 2026-11-30T15:59:20.348563Z\n` });
  });

  test('indented output (--pretty) reads the same', () => {
    const text = WALG_OUTPUT['1.1.3'].detailJson.UTC;
    expect(read(JSON.stringify(JSON.parse(text), null, 4)).stdout).toBe(read(text).stdout);
  });

  test('a finish time that is missing, zero (no finish time recorded) or not in UTC: "-"', () => {
    const r = read(JSON.stringify([{ backup_name: B2 }, { backup_name: B4, finish_time: '0001-01-01T00:00:00Z' },
      { backup_name: 'base_000000010000000000000006', finish_time: '2026-11-30T16:00:00+09:00' },
      { backup_name: 'base_000000010000000000000008', finish_time: '2026-11-30T16:00:00+00:00' }]));
    expect(r).toMatchObject({ status: 0, stdout: `${B2} -\n${B4} -\nbase_000000010000000000000006 -\nbase_000000010000000000000008 2026-11-30T16:00:00+00:00\n` });
  });

  test('text cut short, or not JSON: exit 2', () => {
    const text = WALG_OUTPUT['0.2.19'].detailJson.UTC;
    expect(read(text.slice(0, text.indexOf('finish_time') + 20)).status).toBe(2);
    expect(read(text.slice(0, -1)).status).toBe(2);
    expect(read('[{"backup_name":"base_1"').status).toBe(2);
  });

  test('nothing, or an empty list: no lines', () => {
    expect(read('')).toMatchObject({ status: 0, stdout: '' });
    expect(read('[]\n')).toMatchObject({ status: 0, stdout: '' });
  });
});

describe.each(SHELLS.map((s) => [s.join(' '), s] as const))('finish_times_once under %s', (_name, shell) => {
  function once(body: string, line: keyof typeof WALG_OUTPUT = '1.1.3') {
    const s = stub(`printf '%s' "${WALG_OUTPUT[line].info}" >&2\ncase "$*" in\n  'backup-list --detail --json') ${body} ;;\n  *) exit 99 ;;\nesac`);
    fs.writeFileSync(path.join(s.dir, 'detail.json'), WALG_OUTPUT[line].detailJson['Asia/Seoul']);
    const r = s.lib(shell, 'finish_times_once', [], { WALG_FILE_PREFIX: '/archive/pg' });
    return { ...r, calls: s.calls() };
  }

  test.each(Object.keys(WALG_OUTPUT) as Array<keyof typeof WALG_OUTPUT>)('the detailed list of WAL-G %s: its finish times', (line) => {
    const r = once('cat "$STUB_DIR/detail.json"', line);
    const expected = (JSON.parse(WALG_OUTPUT[line].detailJson.UTC) as any[]).map((b) => `${b.backup_name} ${b.finish_time}\n`).join('');
    expect(r).toMatchObject({ status: 0, stdout: expected });
    expect(r.stdout.split('\n').filter(Boolean).map((l) => l.split(' ')[1]).sort()).toEqual([...WALG_OUTPUT[line].finish]);
    expect(r.calls).toEqual(['backup-list --detail --json']);
  });

  test.each(Object.keys(WALG_OUTPUT) as Array<keyof typeof WALG_OUTPUT>)('WAL-G %s on a backup without metadata.json: "none" and why, not an error (asking again would not help)', (line) => {
    const o = WALG_OUTPUT[line].noMetadata;
    const r = once(`printf '%s' "${o.stderr}" >&2; exit ${o.exit}`, line);
    expect(r).toMatchObject({ status: 0, stdout: `none: ${o.stderr.trim().split('\n').pop()}\n` });
  });

  test('a storage error: fails, naming it', () => {
    const r = once('echo "ERROR: 2026/11/30 dial tcp 127.0.0.1:9000: connect: connection refused" >&2; exit 1');
    expect(r).toMatchObject({ status: 1, stdout: '' });
    expect(r.stderr).toContain('wal-g backup-list --detail --json exited 1: ERROR: 2026/11/30 dial tcp 127.0.0.1:9000: connect: connection refused');
  });

  test('exit 0 with the text table instead of JSON, or with nothing: fails', () => {
    for (const body of ['echo "name modified wal_segment_backup_start start_time finish_time"', 'exit 0']) {
      const r = once(body);
      expect(r).toMatchObject({ status: 1, stdout: '' });
      expect(r.stderr).toContain('wal-g backup-list --detail --json exited 0 but printed no JSON list of base backups');
    }
  });

  test('exit 0 with a list and an error logged: fails', () => {
    expect(once('cat "$STUB_DIR/detail.json"; echo "ERROR: 2026/11/30 something failed" >&2').status).toBe(1);
  });
});

describe.each(SHELLS.map((s) => [s.join(' '), s] as const))('push_base_backup under %s', (_name, shell) => {
  const OLD = 'base_000000010000000000000002 2026-11-30T10:00:00Z 000000010000000000000002';
  const NEW = 'base_000000010000000000000005 2026-11-30T11:00:00Z 000000010000000000000005';
  // backup-list answers from a file that backup-push may or may not extend.
  function push(pushBody: string, env: Record<string, string> = {}) {
    const s = stub(`list="$STUB_DIR/list"; [ -f "$list" ] || printf 'name last_modified wal_segment_backup_start\\n${OLD}\\n' >"$list"
case $1 in
  backup-list) cat "$list" ;;
  backup-push) ${pushBody} ;;
esac`);
    const r = s.lib(shell, 'push_base_backup || { echo "LAST_ERROR=$LAST_ERROR"; exit 1; }', [], { PGDATA: '/pgdata', WALE_S3_PREFIX: 's3://b/p', ...env });
    return { ...r, calls: s.calls() };
  }
  test('a push that lists a new backup afterwards succeeds and names it', () => {
    const r = push(`echo '${NEW}' >>"$list"`);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('base backup base_000000010000000000000005 is in s3://b/p');
  });
  test('a push that reports success without uploading fails', () => {
    const r = push('exit 0');
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('LAST_ERROR=wal-g backup-push reported success, but no new base backup is listed at s3://b/p');
  });
  test('a push that fails is retried, then fails with its error', () => {
    const r = push('echo "ERROR: upload failed" >&2; exit 1');
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('LAST_ERROR=ERROR: upload failed');
    expect(r.calls.filter((c) => c.startsWith('backup-push'))).toHaveLength(3);
  });
  test('a push that hangs is stopped at its time bound, tried again, then fails saying so', () => {
    const started = Date.now();
    const r = push('exec sleep 30', { PG_WALG_BACKUP_PUSH_TIMEOUT: '1' });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('LAST_ERROR=timed out after 1 s\n');
    expect(r.calls.filter((c) => c.startsWith('backup-push'))).toHaveLength(3);
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});

describe.each(SHELLS.map((s) => [s.join(' '), s] as const))('fetch_base_backup under %s', (_name, shell) => {
  function fetch(body: string, env: Record<string, string> = {}) {
    const s = stub(`case $1 in backup-fetch)\n${body}\n;; esac`);
    const pgdata = path.join(s.work, 'data');
    const state = path.join(s.work, 'state');
    const r = s.lib(shell, 'retry "fetch base backup LATEST" fetch_base_backup LATEST || { echo "LAST_ERROR=$LAST_ERROR"; exit 1; }', [], { PGDATA: pgdata, PG_WALG_STATE: state, ...env });
    return { ...r, pgdata, state, calls: s.calls() };
  }
  // Refuses a non-empty PGDATA, as WAL-G does, so that a retry must start from an empty one.
  const writes = (files: string[], rc = 0) => `[ -z "$(ls -A "$2")" ] || { echo "ERROR: directory $2 is not empty" >&2; exit 2; }
for f in ${files.join(' ')}; do mkdir -p "$2/$(dirname "$f")"; echo data >"$2/$f"; done; exit ${rc}`;

  test('a whole base backup: PGDATA holds it, the incomplete marker stays for the caller to clear', () => {
    const r = fetch(writes(['PG_VERSION', 'global/pg_control', 'backup_label', 'base/1/1259']));
    expect(r.status).toBe(0);
    expect(fs.readdirSync(r.pgdata).sort()).toEqual(['PG_VERSION', 'backup_label', 'base', 'global']);
    expect((fs.statSync(r.pgdata).mode % 0o1000).toString(8)).toBe('700');
    expect(fs.existsSync(path.join(r.state, 'pgdata-incomplete'))).toBe(true);
  });
  test('a base backup taken on a hot standby: its standby.signal and recovery.conf are not kept (a restore of it would never promote)', () => {
    const r = fetch(writes(['PG_VERSION', 'global/pg_control', 'backup_label', 'standby.signal', 'recovery.conf', 'recovery.signal']));
    expect(r.status).toBe(0);
    expect(fs.readdirSync(r.pgdata).sort()).toEqual(['PG_VERSION', 'backup_label', 'global']);
  });
  test('the source\'s report of its last base backup (pg-walg-backup-status) is not kept: a restored instance never reports its source\'s backups', () => {
    const r = fetch(writes(['PG_VERSION', 'global/pg_control', 'backup_label', 'pg-walg-backup-status']));
    expect(r.status).toBe(0);
    expect(fs.readdirSync(r.pgdata).sort()).toEqual(['PG_VERSION', 'backup_label', 'global']);
  });
  test('a fetch that fails half-way is retried from an empty PGDATA, then fails', () => {
    const r = fetch(writes(['PG_VERSION', 'base/1/1259'], 1));
    expect(r.status).toBe(1);
    expect(r.calls).toHaveLength(3);
    expect(r.stderr).not.toContain('is not empty');
    expect(fs.existsSync(path.join(r.state, 'pgdata-incomplete'))).toBe(true);
  });
  test.each([
    ['backup_label', ['PG_VERSION', 'global/pg_control']],
    ['global/pg_control', ['PG_VERSION', 'backup_label']],
    ['PG_VERSION', ['global/pg_control', 'backup_label']],
  ])('exit 0 without %s: not a whole base backup', (lacking, files) => {
    const r = fetch(writes(files));
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`LAST_ERROR=wal-g backup-fetch exited 0 but ${r.pgdata}/${lacking} is missing or empty: the base backup was not fetched whole`);
  });
  test('a fetch that hangs is stopped at its time bound, tried again from an empty PGDATA, then fails saying so', () => {
    const started = Date.now();
    const r = fetch(`${writes(['PG_VERSION']).replace(/; exit 0$/, '')}; exec sleep 30`, { PG_WALG_BACKUP_FETCH_TIMEOUT: '1' });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('LAST_ERROR=timed out after 1 s\n');
    expect(r.calls.filter((c) => c.startsWith('backup-fetch'))).toHaveLength(3);
    expect(fs.existsSync(path.join(r.state, 'pgdata-incomplete'))).toBe(true);
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});

// storage_location names no provider: it prints whichever prefix setting the library wrote for the
// role, so every provider's binding (and a seventh one's) is reported without a change to lib.sh.
describe.each(SHELLS.map((s) => [s.join(' '), s] as const))('storage_location under %s', (_name, shell) => {
  const s = stub('exit 0');
  const bindings = PROVIDER_LIST.flatMap((provider) => [PostgresVersion.V11_2_V1, PostgresVersion.custom({ name: '17-walg3', serverVersion: '17.2', image: 'example.com/pg:17', walgVersion: '3.0' })]
    .map((version) => {
      const chart = newChart();
      const env = storageFor(chart, provider, version)._bind(chart, 'storage').env;
      const prefixes = Object.entries(env).filter(([k]) => k.endsWith('_PREFIX'));
      return [`${provider} with WAL-G ${version.walgVersion}`, prefixes] as const;
    }));

  test.each(bindings)('%s: the one prefix setting of the binding', (_what, prefixes) => {
    expect(prefixes).toHaveLength(1);
    const [[key, value]] = prefixes;
    const r = s.lib(shell, 'storage_location', [], { [key]: value });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(value);
  });

  test('a setting of another storage WAL-G knows (SSH), with no change here', () => {
    expect(s.lib(shell, 'storage_location', [], { WALG_SSH_PREFIX: 'ssh://backup.example.com/pg' }).stdout).toBe('ssh://backup.example.com/pg');
  });

  test('none: "unknown"', () => {
    expect(s.lib(shell, 'storage_location', [], {}).stdout).toBe('unknown');
  });
});

// bounded, the one helper that runs things concurrently (the command and its watcher): run hundreds of
// times, with commands that end at once and commands that outlast the bound, it returns each command's
// status, says "timed out" exactly when it stopped one, and leaves no process behind.
describe.each(SHELLS.map((s) => [s.join(' '), s] as const))('bounded under %s', (_name, shell) => {
  const s = stub('exit 0');
  /** Processes still running that were started by a test's shell: they inherit its unique marker. */
  const leftovers = (marker: string): string[] => fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      return fs.readFileSync(`/proc/${p}/environ`, 'latin1').split('\0').includes(`BOUNDED_TEST=${marker}`);
    } catch {
      return false; // gone, or not ours to read
    }
  }).map((p) => `${p}: ${fs.readFileSync(`/proc/${p}/cmdline`, 'latin1').replace(/\0/g, ' ')}`);
  let runs = 0;
  const run = (script: string) => {
    const marker = `${process.pid}-${++runs}`;
    const r = s.lib(shell, script, [], { BOUNDED_TEST: marker });
    spawnSync('sleep', ['0.3']);
    return { ...r, left: leftovers(marker) };
  };

  test('300 commands that end at once: their exit status, no message, no process left', () => {
    const r = run(`i=0; bad=0
while [ "$i" -lt 300 ]; do
  rc=0; bounded 900 sh -c "exit $((i % 3))" || rc=$?
  [ "$rc" -eq $((i % 3)) ] || bad=$((bad + 1))
  i=$((i + 1))
done
echo "bad=$bad"`);
    expect(r.stdout.trim()).toBe('bad=0');
    expect(r.stderr).toBe('');
    expect(r.left).toEqual([]);
  });

  test('commands that outlast the bound are stopped, each with the message, no process left', () => {
    const r = run(`i=0
while [ "$i" -lt 8 ]; do
  rc=0; bounded 1 sleep 70 || rc=$?
  echo "rc=$rc"
  i=$((i + 1))
done`);
    expect(r.stdout.trim().split('\n')).toEqual(Array(8).fill('rc=143'));
    expect(r.stderr).toBe('timed out after 1 s\n'.repeat(8));
    expect(r.left).toEqual([]);
  });

  test('a command that fails by itself within the bound is not said to have timed out', () => {
    const r = run('bounded 5 sh -c "echo broken >&2; exit 143"; echo "rc=$?"');
    expect(r.stdout.trim()).toBe('rc=143');
    expect(r.stderr).toBe('broken\n');
    expect(r.left).toEqual([]);
  });

  test('the canary: a process left behind is seen', () => {
    const left = run('sleep 30 >/dev/null 2>&1 & echo started').left;
    left.forEach((l) => process.kill(Number(l.split(':')[0])));
    expect(left).toEqual([expect.stringMatching(/^\d+: sleep 30 $/)]);
  });

  // In a pod, a hot standby's restore_command runs under the postmaster, PID 1 of its container: it adopts every
  // process a shell leaves unreaped, and takes one killed by a signal for a crashed backend (every server process
  // restarted; found by e2e:cluster's standby cells: the watcher's killed sleep, at most calls). A subreaper (Python's
  // prctl PR_SET_CHILD_SUBREAPER) stands in for PID 1 here and reports what it adopted.
  const adopted = (script: string) => {
    const report = path.join(s.work, `adopted-${++runs}`);
    const r = s.lib(['python3', '-c', SUBREAPER, ...shell], script, [], { SUBREAPER_REPORT: report });
    return { ...r, adopted: fs.existsSync(report) ? fs.readFileSync(report, 'utf8').split('\n').filter(Boolean) : [`no report: ${r.stderr}`] };
  };

  test('no process is left for PID 1 to reap: commands that end at once, and commands stopped at the bound', () => {
    const r = adopted(`i=0
while [ "$i" -lt 100 ]; do bounded 900 sh -c "exit $((i % 3))"; i=$((i + 1)); done
bounded 1 sleep 70; bounded 1 sleep 70; echo done`);
    expect(r.stdout).toBe('done\n');
    expect(r.adopted).toEqual([]);
  });

  test('the canary: a killed child that its shell leaves unreaped is adopted, and seen', () => {
    expect(adopted('sh -c \'sleep 30 & kill -KILL $!\'; echo done').adopted).toEqual([expect.stringMatching(/^adopted \d+: killed by signal 9$/)]);
  });
});

/** A subreaper (PID 1's stand-in): runs argv[1:], reaps every descendant, writes those it adopted to $SUBREAPER_REPORT. */
const SUBREAPER = `import ctypes, os, sys
if ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) != 0: sys.exit('prctl(PR_SET_CHILD_SUBREAPER) failed')
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
out, rc = [], 1
while True:
    try: p, st = os.wait()
    except ChildProcessError: break
    if p == pid: rc = os.waitstatus_to_exitcode(st)
    elif os.WIFSIGNALED(st): out.append('adopted %d: killed by signal %d' % (p, os.WTERMSIG(st)))
    else: out.append('adopted %d: exit %d' % (p, os.WEXITSTATUS(st)))
open(os.environ['SUBREAPER_REPORT'], 'w').write(''.join(l + '\\n' for l in out))
sys.exit(rc)
`;

// The Azure SDK's answer when Entra ID refuses the federated token (WAL-G 3.0.8, workload identity), as
// WAL-G writes it: its last line alone ("To troubleshoot, visit …") says nothing.
const AZURE_REFUSED = `ERROR: 2026/11/30 18:48:48.612913 list folder: iterate through folder "pg/": DefaultAzureCredential: failed to acquire a token.
Attempted credentials:
\tEnvironmentCredential: incomplete environment variable configuration. Only AZURE_TENANT_ID and AZURE_CLIENT_ID are set
\tWorkloadIdentityCredential authentication failed. 
\t\tPOST https://login.microsoftonline.com/72f988bf-0000-4000-8000-00000000e2e0/oauth2/v2.0/token
\t\t--------------------------------------------------------------------------------
\t\tRESPONSE 401: 401 Unauthorized
\t\t--------------------------------------------------------------------------------
\t\t{
\t\t  "error": "invalid_client",
\t\t  "error_description": "AADSTS700213: No matching federated identity record found for presented assertion."
\t\t}
\t\t--------------------------------------------------------------------------------
\t\tTo troubleshoot, visit https://aka.ms/azsdk/go/identity/troubleshoot#workload

`;

describe.each(SHELLS.map((s) => [s.join(' '), s] as const))('walg_error under %s', (_name, shell) => {
  const s = stub('exit 0');
  const errlog = path.join(s.work, 'errlog');
  function walgError(log: string): string {
    fs.writeFileSync(errlog, log);
    const r = s.lib(shell, 'walg_error "$@"', [errlog]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.endsWith('\n')).toBe(true);
    expect(r.stdout.trimEnd()).not.toContain('\n');
    return r.stdout.trimEnd();
  }

  test('an error over many lines (the Azure SDK) is one line, from WAL-G\'s ERROR on, without rules', () => {
    expect(walgError(AZURE_REFUSED)).toBe('ERROR: 2026/11/30 18:48:48.612913 list folder: iterate through folder "pg/": DefaultAzureCredential: failed to acquire a token. '
      + 'Attempted credentials: EnvironmentCredential: incomplete environment variable configuration. Only AZURE_TENANT_ID and AZURE_CLIENT_ID are set '
      + 'WorkloadIdentityCredential authentication failed. POST https://login.microsoftonline.com/72f988bf-0000-4000-8000-00000000e2e0/oauth2/v2.0/token '
      + 'RESPONSE 401: 401 Unauthorized { "error": "invalid_client", "error_description": "AADSTS700213: No matching federated identity record found for presented assertion." } '
      + 'To troubleshoot, visit https://aka.ms/azsdk/go/identity/troubleshoot#workload');
  });

  test.each([
    ['one ERROR line', `${NOW} connection refused\n`, `${NOW} connection refused`],
    ['the last of two errors, after INFO lines', `INFO: 2026/11/30 start\n${NOW} first\nINFO: 2026/11/30 retry\n${NOW} second\n`, `${NOW} second`],
    ['an error followed by an INFO line: the INFO line is not part of it', `${NOW} broken\n  detail\nINFO: 2026/11/30 done\n`, `${NOW} broken detail`],
    ['no ERROR line: the last non-blank line', 'INFO: 2026/11/30 start\npanic: runtime error\n\n', 'panic: runtime error'],
    ['nothing', '', 'no message'],
    ['blank lines only', '\n \n\t\n', 'no message'],
  ])('%s', (_what, log, expected) => {
    expect(walgError(log)).toBe(expected);
  });

  test('a message of more than 1000 characters is cut to 1000', () => {
    const out = walgError(`${NOW} ${'x'.repeat(2000)}\n`);
    expect(out.length).toBe(1000);
    expect(out.endsWith('...')).toBe(true);
  });
});

describe.each(SHELLS.map((s) => [s.join(' '), s] as const))('the storage\'s encryption key under %s (load_encryption)', (_name, shell) => {
  function load(files: Record<string, string>, settings: string) {
    const s = stub('exit 0');
    const secrets = path.join(s.work, 'secrets');
    fs.mkdirSync(path.join(secrets, 'restore-encryption'), { recursive: true });
    for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(secrets, 'restore-encryption', f), text);
    s.config('restore.env', settings.replace(/SECRETS/g, secrets));
    return s.lib(shell, 'load_storage restore; echo "PASSPHRASE=${WALG_PGP_KEY_PASSPHRASE:-}"', [], { PG_WALG_SECRETS: secrets });
  }
  const sodium = 'WALE_S3_PREFIX=s3://walg/pg\nWALG_LIBSODIUM_KEY_PATH=SECRETS/restore-encryption/libsodium-key\n';
  const pgp = 'WALE_S3_PREFIX=s3://walg/pg\nWALG_PGP_KEY_PATH=SECRETS/restore-encryption/pgp-key\n';
  const armored = '-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nxyz\n-----END PGP PRIVATE KEY BLOCK-----\n';

  test('a libsodium key of 32 bytes or more (line ends aside): accepted', () => {
    expect(load({ 'libsodium-key': `${'k'.repeat(32)}\n` }, sodium).status).toBe(0);
  });
  test('a libsodium key shorter than 32 bytes: refused before WAL-G runs (WAL-G 1.x would read past its end)', () => {
    const r = load({ 'libsodium-key': `${'k'.repeat(31)}\n` }, sodium);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('is 31 bytes long: a key of at least 32 bytes is needed');
  });
  test('an encoded libsodium key is left to WAL-G', () => {
    expect(load({ 'libsodium-key': 'aGVsbG8=\n' }, `${sodium}WALG_LIBSODIUM_KEY_TRANSFORM=base64\n`).status).toBe(0);
  });
  test('an empty libsodium key file: refused', () => {
    expect(load({ 'libsodium-key': '' }, sodium).stderr).toContain('the libsodium key of the restore storage (the key of the Secret that its encryption names, mounted as');
  });
  test('an armored OpenPGP key and its passphrase: the passphrase exported for WAL-G', () => {
    const r = load({ 'pgp-key': armored, 'pgp-passphrase': 'open sesame\n' }, pgp);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('PASSPHRASE=open sesame\n');
  });
  test('an OpenPGP key that is not armored: refused', () => {
    const r = load({ 'pgp-key': 'binary key bytes' }, pgp);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('is not an ASCII-armored OpenPGP key');
  });
  test('a passphrase of two lines: refused without showing it', () => {
    const r = load({ 'pgp-key': armored, 'pgp-passphrase': 'one\ntwo\n' }, pgp);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('the OpenPGP passphrase of the restore storage is more than one line');
    expect(r.stderr).not.toContain('two');
  });
});

describe.each(SHELLS.map((s) => [s.join(' '), s] as const))('decode_probe under %s', (_name, shell) => {
  function probe(body: string, backup = 'base_000000010000000000000002_D_000000010000000000000001') {
    const s = stub(`case $1 in wal-fetch)\n${body}\n;; esac`);
    fs.writeFileSync(path.join(s.dir, 'seg'), '');
    walSegment(path.join(s.dir, 'seg'));
    const r = s.lib(shell, 'decode_probe "$1"; echo probed', [backup], { WALE_S3_PREFIX: 's3://walg/pg' });
    return { ...r, calls: s.calls() };
  }
  test('fetches the segment where the backup began (a delta\'s own name), once, without prefetch', () => {
    const r = probe('cp "$STUB_DIR/seg" "$3"');
    expect(r.stdout).toContain('probed');
    expect(r.calls[0]).toMatch(/^wal-fetch 000000010000000000000002 /);
  });
  test('a segment WAL-G cannot decode: dies before the base backup is fetched, saying why', () => {
    const r = probe(`echo "${NOW} lz4: bad magic number" >&2; exit 1`);
    expect(r.status).toBe(1);
    expect(r.stdout).not.toContain('probed');
    expect(r.stderr).toContain('cannot read the archive s3://walg/pg: WAL segment 000000010000000000000002 (where base backup base_000000010000000000000002_D_000000010000000000000001 began) wal-g exited 1: ERROR: 2026/11/30 10:04:38.115958 lz4: bad magic number. WAL-G downloaded the file but cannot decrypt or decompress it');
    expect(r.calls).toHaveLength(1);
  });
  test.each([
    ['missing', `printf '%s' "${notInArchive('000000010000000000000002').trim()}" >&2; exit 1`],
    ['a storage error', `echo "${NOW} connection refused" >&2; exit 1`],
  ])('%s: left to the fetch of the base backup', (_, body) => {
    expect(probe(body).stdout).toContain('probed');
  });
  test('LATEST or a name that is not a backup name: no probe', () => {
    expect(probe('exit 1', 'LATEST').calls).toHaveLength(0);
  });
});

describe.each(SHELLS.map((s) => [s.join(' '), s] as const))('retry under %s', (_name, shell) => {
  test('stops at the first error that says WAL-G cannot decode what it downloaded', () => {
    const s = stub(`echo "${NOW} corrupted chunk" >&2; exit 1`);
    const r = s.lib(shell, 'retry "fetch base backup X" wal-g backup-fetch /data X || echo "LAST_ERROR=$LAST_ERROR"');
    expect(s.calls()).toHaveLength(1);
    expect(r.stdout).toContain(`LAST_ERROR=${NOW} corrupted chunk. WAL-G downloaded the file but cannot decrypt or decompress it`);
  });
  test('an upload\'s encryption error (a key without an encryption subkey) is retried like any error', () => {
    const s = stub(`echo "${NOW} upload: encryption error opengpg encryption error: openpgp: invalid argument: cannot encrypt a message to key id aa2e1a85e038e005 because it has no encryption keys" >&2; exit 1`);
    s.lib(shell, 'retry "push a base backup" wal-g backup-push /data || true');
    expect(s.calls()).toHaveLength(3);
  });
});

// backup_status: the report of the last base backup that the metrics exporter reads (pg_read_file) from PGDATA.
describe.each(SHELLS.map((s) => [s.join(' '), s] as const))('backup_status under %s', (_name, shell) => {
  const LIST = 'name last_modified wal_segment_backup_start\nbase_000000010000000000000002 2026-11-30T10:00:00Z 000000010000000000000002\nbase_000000010000000000000005 2026-11-30T11:00:00Z 000000010000000000000005';
  function status(listBody: string, calls: Array<[string, number]>, previous?: string) {
    const s = stub(`case $1 in backup-list) ${listBody} ;; esac`);
    const pgdata = path.join(s.work, 'data');
    fs.mkdirSync(pgdata);
    const file = path.join(pgdata, 'pg-walg-backup-status');
    if (previous !== undefined) fs.writeFileSync(file, previous);
    const script = calls.map(([result, ago]) => `backup_status ${result} $(($(date +%s) - ${ago}))`).join('\n');
    const before = Math.floor(Date.now() / 1000);
    const r = s.lib(shell, script, [], { PGDATA: pgdata, WALE_S3_PREFIX: 's3://b/p' });
    const after = Math.ceil(Date.now() / 1000);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(fs.readdirSync(pgdata)).toEqual(['pg-walg-backup-status']);
    const text = fs.readFileSync(file, 'utf8');
    expect(text).toMatch(/^[01] \d+ \d+ -?\d+ \d+\n$/);
    const [res, end, ok, took, count] = text.trim().split(' ').map(Number);
    return { res, end, ok, took, count, before, after };
  }
  test('a pushed backup: result 1, its end as the end of the last pushed one, how long it took, the backups listed', () => {
    const r = status(`printf '${LIST}\\n'`, [['1', 7]]);
    expect(r.res).toBe(1);
    expect(r.end).toBeGreaterThanOrEqual(r.before);
    expect(r.end).toBeLessThanOrEqual(r.after);
    expect(r.ok).toBe(r.end);
    expect(r.took).toBeGreaterThanOrEqual(7);
    expect(r.took).toBeLessThanOrEqual(9);
    expect(r.count).toBe(2);
  });
  test('a failure after a pushed backup: result 0, the pushed one\'s end carried over', () => {
    const r = status(`printf '${LIST}\\n'`, [['0', 3]], '1 1700000000 1700000000 12 5\n');
    expect(r.res).toBe(0);
    expect(r.ok).toBe(1700000000);
    expect(r.count).toBe(2);
  });
  test('an archive that cannot be listed: the count of the previous report is kept, the outcome still written', () => {
    const r = status('echo "ERROR: connection refused" >&2; exit 1', [['0', 1]], '1 1700000000 1700000000 12 5\n');
    expect(r.res).toBe(0);
    expect(r.ok).toBe(1700000000);
    expect(r.count).toBe(5);
  });
  test('a push whose end is given (the sidecar reports after its retention): that end, and the time up to it', () => {
    const r = status(`printf '${LIST}\\n'`, [['1', 30]]);
    expect(r.took).toBeGreaterThanOrEqual(30);
    const s = stub(`case $1 in backup-list) printf '${LIST}\\n' ;; esac`);
    const pgdata = path.join(s.work, 'data');
    fs.mkdirSync(pgdata);
    const x = s.lib(shell, 'backup_status 1 1700000000 1700000042', [], { PGDATA: pgdata, WALE_S3_PREFIX: 's3://b/p' });
    expect(x.status).toBe(0);
    expect(fs.readFileSync(path.join(pgdata, 'pg-walg-backup-status'), 'utf8')).toBe('1 1700000042 1700000042 42 2\n');
  });
  test('the first report of a member that never pushed: 0 as the end of the last pushed one', () => {
    const r = status('echo "ERROR: connection refused" >&2; exit 1', [['0', 1]]);
    expect([r.res, r.ok, r.count]).toEqual([0, 0, 0]);
  });
});

// wal_verify_summary: what `wal-g wal-verify integrity timeline --json` found, with the segments PostgreSQL already
// counts as archived taken for lost rather than "probably uploading".
describe.each(AWKS)('wal_verify_summary under %s', (_name, shell, others) => {
  const row = (first: string, last: string, n: number, status: string) =>
    `{"timeline_id":1,"start_segment":"${first}","end_segment":"${last}","segments_count":${n},"status":"${status}"}`;
  const summary = (rows: string[], archived: string, size = 16 * 1024 * 1024, integrity = 'WARNING') => {
    const s = stub('', others);
    const out = path.join(s.work, 'out');
    fs.writeFileSync(out, `{"integrity":{"status":"${integrity}","details":[${rows.join(',')}]},"timeline":{"status":"OK","details":{"current_timeline_id":1,"highest_storage_timeline_id":1}}}`);
    const r = s.lib(shell, 'wal_verify_summary "$@"', [out, archived, String(size)]);
    expect(r.stderr).toBe('');
    return r.stdout.trim();
  };
  const UP = 'MISSING_UPLOADING';
  test.each([
    ['all found', [row('000000010000000000000002', '000000010000000000000006', 5, 'FOUND')], '000000010000000000000006', 'OK', 'OK OK 0 0 -'],
    ['missing after the last archived: pending, integrity OK', [row('000000010000000000000007', '000000010000000000000008', 2, UP)], '000000010000000000000006', 'WARNING', 'OK OK 0 2 -'],
    ['missing at and before it: lost, whatever WAL-G guessed', [row('000000010000000000000004', '000000010000000000000004', 1, UP)], '000000010000000000000006', 'WARNING', 'FAILURE OK 1 0 000000010000000000000004..000000010000000000000004'],
    ['a range across it: lost up to it, pending after', [row('000000010000000000000004', '000000010000000000000008', 5, UP)], '000000010000000000000006', 'WARNING',
      'FAILURE OK 3 2 000000010000000000000004..000000010000000000000006'],
    ['across a log boundary (16 MiB: 256 segments a log)', [row('0000000100000002000000FE', '000000010000000300000003', 6, 'MISSING_DELAYED')], '000000010000000300000000', 'WARNING',
      'FAILURE OK 3 3 0000000100000002000000FE..000000010000000300000000'],
    ['an archive that only lags (WAL-G calls all but its newest 16 missing segments lost): pending, not lost', [row('000000010000000000000011', '000000010000000000000014', 4, 'MISSING_LOST'),
      row('000000010000000000000015', '000000010000000000000024', 16, UP)], '000000010000000000000010', 'FAILURE', 'OK OK 0 20 -'],
    ['the last archived file a base backup\'s .backup file: its segment', [row('000000010000000000000004', '000000010000000000000004', 1, UP)], '000000010000000000000006.00000028.backup', 'WARNING',
      'FAILURE OK 1 0 000000010000000000000004..000000010000000000000004'],
    ['the last archived file a .partial segment: its segment', [row('000000010000000000000007', '000000010000000000000007', 1, UP)], '000000010000000000000006.partial', 'WARNING', 'OK OK 0 1 -'],
    ['WAL-G\'s MISSING_LOST on another timeline than the last archived: lost; its uploading there: pending', [row('000000010000000000000002', '000000010000000000000003', 2, 'MISSING_LOST'),
      row('000000010000000000000009', '000000010000000000000009', 1, UP)], '000000020000000000000009', 'FAILURE', 'FAILURE OK 2 1 000000010000000000000002..000000010000000000000003'],
    ['no last archived segment (none yet, or a history file): WAL-G\'s word', [row('000000010000000000000004', '000000010000000000000004', 1, UP)], '00000002.history', 'WARNING', 'OK OK 0 1 -'],
  ])('%s', (_what, rows, archived, integrity, expected) => {
    expect(summary(rows, archived, undefined, integrity)).toBe(expected);
  });
  test('1 GiB segments: 4 a log', () => {
    expect(summary([row('000000010000000200000003', '000000010000000300000001', 3, UP)], '000000010000000300000000', 1024 * 1024 * 1024))
      .toBe('FAILURE OK 2 1 000000010000000200000003..000000010000000300000000');
  });
  test('no JSON (WAL-G failed): no statuses', () => {
    const s = stub('', others);
    const out = path.join(s.work, 'out');
    fs.writeFileSync(out, '');
    expect(s.lib(shell, 'wal_verify_summary "$@"', [out, '000000010000000000000006', '16777216']).stdout.trim()).toBe('- - 0 0 -');
  });
});
