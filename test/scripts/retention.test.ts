// Retention by age (retainFor) and delta backups (deltaMaxSteps) in the walg-backup sidecar: which base
// backup is the oldest one kept (retention_cut, lib.sh), by which time (retention_times: the finish time
// WAL-G recorded, or the storage modification time), and what backup.sh asks WAL-G to do with it. Each
// case runs the real functions under dash (with mawk) and busybox sh (with busybox awk).
import * as fs from 'fs';
import * as path from 'path';
import { SHELLS, stub, walSegment } from './stub';
import { WALG_OUTPUT } from './walg-output';

const AWKS = [['dash and mawk', ['sh'], {}], ['busybox sh and busybox awk', ['busybox', 'sh'], { awk: 'exec busybox awk "$@"' }]] as const;

/** A base backup name: full, or a delta of `from`. */
const b = (seg: number, from?: number, timeline = 1) => {
  const wal = (n: number) => `${timeline.toString(16).toUpperCase().padStart(8, '0')}${'0'.repeat(8)}${n.toString(16).toUpperCase().padStart(8, '0')}`;
  return `base_${wal(seg)}${from === undefined ? '' : `_D_${wal(from)}`}`;
};
const epoch = (t: string) => Date.parse(t) / 1000;
const DAY = 86400;

describe.each(AWKS)('retention_cut under %s', (_name, shell, others) => {
  const s = stub('exit 99', others);
  /** Runs retention_cut CUT FULL over "name time kind" lines. */
  function cut(lines: string[], at: number, full = 1) {
    fs.writeFileSync(path.join(s.work, 'times'), lines.map((l) => `${l}\n`).join(''));
    return s.lib(shell, 'retention_cut "$1" "$2" <"$WORK/times"', [String(at), String(full)]);
  }
  // Full backups on days 1, 3 and 7, deltas between them (each builds on the one before, as WAL-G's LATEST origin does).
  const ARCHIVE = [
    `${b(2)} 2026-11-01T10:00:00.250000Z finish`,
    `${b(4, 2)} 2026-11-02T10:00:00.250000Z finish`,
    `${b(6)} 2026-11-03T10:00:00.250000Z finish`,
    `${b(8, 6)} 2026-11-04T10:00:00.250000Z finish`,
    `${b(10, 8)} 2026-11-05T10:00:00.250000Z finish`,
    `${b(12)} 2026-11-07T10:00:00.250000Z finish`,
  ];

  test('the newest backup that finished by the window\'s start is kept, with everything after it; the older ones go', () => {
    const r = cut(ARCHIVE, epoch('2026-11-03T12:00:00Z'));
    expect(r).toMatchObject({ status: 0, stderr: '' });
    expect(r.stdout).toBe(`${b(6)} ${b(6)} finished at 2026-11-03T10:00:00.250000Z, the newest base backup by 2026-11-03T12:00:00Z (the start of the window); ` +
      `the newest full backup is ${b(12)}\n`);
  });

  test('a delta that a recovery to the window\'s start begins from is kept with the full backup and the deltas it builds on', () => {
    const r = cut(ARCHIVE, epoch('2026-11-05T12:00:00Z'));
    expect(r.stdout).toBe(`${b(6)} ${b(10, 8)} finished at 2026-11-05T10:00:00.250000Z, the newest base backup by 2026-11-05T12:00:00Z (the start of the window); ` +
      `the newest full backup is ${b(12)}; ${b(10, 8)} builds on the full backup ${b(6)}\n`);
  });

  test('a delta of the oldest full backup: nothing is older, nothing is deleted', () => {
    const r = cut(ARCHIVE, epoch('2026-11-02T12:00:00Z'));
    expect(r).toMatchObject({ status: 0, stdout: expect.stringMatching(new RegExp(`^- ${b(4, 2)} finished at .*; nothing is older than ${b(2)}\\n$`)) });
  });

  test('when no backup finished before the window began, every backup is kept', () => {
    const r = cut(ARCHIVE, epoch('2026-10-31T00:00:00Z'));
    expect(r.stdout).toBe(`- no base backup finished by 2026-10-31T00:00:00Z (the start of the window); the newest full backup is ${b(12)}; nothing is older than ${b(2)}\n`);
  });

  test('a window after every backup keeps the newest full backup and its deltas', () => {
    const deltas = [...ARCHIVE.slice(0, 5)];
    const r = cut(deltas, epoch('2026-12-01T00:00:00Z'));
    expect(r.stdout).toBe(`${b(6)} ${b(10, 8)} finished at 2026-11-05T10:00:00.250000Z, the newest base backup by 2026-12-01T00:00:00Z (the start of the window); ` +
      `the newest full backup is ${b(6)}\n`);
  });

  test('the newest N full backups are kept when they reach further back than the window', () => {
    const r = cut(ARCHIVE, epoch('2026-12-01T00:00:00Z'), 2);
    expect(r.stdout).toMatch(new RegExp(`^${b(6)} ${b(12)} finished at .*; the newest 2 full backups begin at ${b(6)}\\n$`));
    expect(cut(ARCHIVE, epoch('2026-11-05T12:00:00Z'), 2).stdout).toMatch(new RegExp(`^${b(6)} ${b(10, 8)} finished at .*; the newest 2 full backups begin at ${b(6)}\\n$`));
  });

  test('the window is kept when it reaches further back than the newest N full backups', () => {
    const r = cut(ARCHIVE, epoch('2026-11-03T12:00:00Z'), 2);
    expect(r.stdout).toMatch(new RegExp(`^${b(6)} ${b(6)} finished at .*; the newest 2 full backups begin at ${b(6)}\\n$`));
    expect(cut(ARCHIVE, epoch('2026-11-02T12:00:00Z'), 2).stdout).toMatch(/^- /);
  });

  test('fewer full backups than N: every backup is kept', () => {
    const r = cut(ARCHIVE, epoch('2026-12-01T00:00:00Z'), 4);
    expect(r.stdout).toMatch(new RegExp(`^- ${b(12)} finished at .*; the archive holds 3 full backup\\(s\\), fewer than 4; nothing is older than ${b(2)}\\n$`));
  });

  test('the order of the lines does not matter (WAL-G 0.2.19 lists its details newest first): backups are in WAL-G\'s order', () => {
    expect(cut([...ARCHIVE].reverse(), epoch('2026-11-05T12:00:00Z')).stdout).toBe(cut(ARCHIVE, epoch('2026-11-05T12:00:00Z')).stdout);
  });

  test('a later timeline comes after the earlier one, whatever its segment numbers', () => {
    const lines = [`${b(9)} 2026-11-01T10:00:00Z finish`, `${b(3, undefined, 2)} 2026-11-03T10:00:00Z finish`, `${b(5, undefined, 2)} 2026-11-04T10:00:00Z finish`];
    expect(cut(lines, epoch('2026-11-03T12:00:00Z')).stdout).toMatch(new RegExp(`^${b(3, undefined, 2)} ${b(3, undefined, 2)} finished`));
  });

  test('at whole seconds: a fraction counts as the next second, a storage modification time as one second later', () => {
    const fin = (t: string) => [`${b(2)} 2026-11-01T10:00:00Z finish`, `${b(4)} ${t} finish`, `${b(6)} 2026-11-05T10:00:00Z finish`];
    expect(cut(fin('2026-11-03T10:00:00Z'), epoch('2026-11-03T10:00:00Z')).stdout).toMatch(new RegExp(`^${b(4)} `));
    expect(cut(fin('2026-11-03T10:00:00.000000Z'), epoch('2026-11-03T10:00:00Z')).stdout).toMatch(new RegExp(`^${b(4)} `));
    expect(cut(fin('2026-11-03T10:00:00.000001Z'), epoch('2026-11-03T10:00:00Z')).stdout).toMatch(/^- /);
    expect(cut(fin('2026-11-03T10:00:00.000001Z'), epoch('2026-11-03T10:00:01Z')).stdout).toMatch(new RegExp(`^${b(4)} `));
    const mod = [`${b(2)} 2026-11-01T10:00:00Z modified`, `${b(4)} 2026-11-03T10:00:00Z modified`, `${b(6)} 2026-11-05T10:00:00Z modified`];
    expect(cut(mod, epoch('2026-11-03T10:00:00Z')).stdout).toMatch(/^- /);
    expect(cut(mod, epoch('2026-11-03T10:00:01Z')).stdout).toBe(`${b(4)} ${b(4)} was stored at 2026-11-03T10:00:00Z (storage modification time), ` +
      `the newest base backup by 2026-11-03T10:00:01Z (the start of the window); the newest full backup is ${b(6)}\n`);
  });

  test('a time in another zone counts by its offset', () => {
    const lines = [`${b(2)} 2026-11-01T10:00:00Z modified`, `${b(4)} 2026-11-03T19:00:00+09:00 modified`, `${b(6)} 2026-11-03T06:00:00-05:00 modified`];
    expect(cut(lines, epoch('2026-11-03T10:00:01Z')).stdout).toMatch(new RegExp(`^${b(4)} `));
    expect(cut(lines, epoch('2026-11-03T10:00:00Z')).stdout).toMatch(/^- /);
  });

  test('a time that cannot be read: exit 2, saying which, and no decision (nothing is deleted on a guess)', () => {
    const r = cut([...ARCHIVE, `${b(14)} Monday,-07-Nov-26 modified`], epoch('2026-11-05T12:00:00Z'));
    expect(r).toMatchObject({ status: 2, stdout: '', stderr: `cannot read the time of base backup ${b(14)} (Monday,-07-Nov-26)\n` });
    expect(cut([`${b(2)} 0001-01-01T00:00:00Z finish`], 0).status).toBe(2);
  });

  test('no backups: nothing to delete', () => {
    expect(cut([], epoch('2026-11-05T12:00:00Z'))).toMatchObject({ status: 0, stdout: '- the archive holds no base backup\n' });
  });

  test('a delta without a full backup before it in the archive: nothing is deleted', () => {
    const r = cut([`${b(4, 2)} 2026-11-02T10:00:00Z finish`, `${b(6, 4)} 2026-11-03T10:00:00Z finish`], epoch('2026-11-04T00:00:00Z'));
    expect(r.stdout).toMatch(new RegExp(`; the archive holds 0 full backup\\(s\\), fewer than 1; ${b(4, 2)} is a delta backup without a full backup before it in the archive\\n$`));
    expect(r.stdout).toMatch(/^- /);
  });
});

describe.each(SHELLS.map((s) => [s.join(' '), s] as const))('retention_times under %s', (_name, shell) => {
  /** list_once, then retention_times of its list, against WAL-G `line`'s output (backup-list and its --detail --json). */
  function times(line: keyof typeof WALG_OUTPUT, env: Record<string, string>, detail = 'cat "$STUB_DIR/detail.json"', extra = '') {
    const o = WALG_OUTPUT[line];
    const s = stub(`printf '%s' "${o.info}" >&2\ncase "$*" in\n  'backup-list --detail --json') ${detail} ;;\n  backup-list) cat "$STUB_DIR/list"; printf '%s' '${extra}' ;;\n  *) exit 99 ;;\nesac`);
    fs.writeFileSync(path.join(s.dir, 'list'), o.list.UTC);
    fs.writeFileSync(path.join(s.dir, 'detail.json'), o.detailJson.UTC);
    const r = s.lib(shell, '_l=$(list_once) && retention_times "$_l"', [], { WALG_FILE_PREFIX: '/archive/pg', PG_WALG_WALG_VERSION: line, ...env });
    return { ...r, calls: s.calls() };
  }
  const modified = (line: keyof typeof WALG_OUTPUT) => WALG_OUTPUT[line].list.UTC.split('\n').slice(1).filter(Boolean).map((l) => l.split(/ +/)).map((f) => `${f[0]} ${f[1]} modified\n`).join('');

  test.each(Object.keys(WALG_OUTPUT) as Array<keyof typeof WALG_OUTPUT>)('WAL-G %s with its detailed list: the finish times it recorded', (line) => {
    const r = times(line, { PG_WALG_LIST_DETAIL: 'on' });
    const [f1, f2] = WALG_OUTPUT[line].finish;
    expect(r).toMatchObject({ status: 0, stdout: `base_000000010000000000000002 ${f1} finish\nbase_000000010000000000000004 ${f2} finish\n` });
    expect(r.calls).toEqual(['backup-list', 'backup-list --detail --json']);
    expect(r.stderr).not.toMatch(/WARNING|retention/);
  });

  test.each(Object.keys(WALG_OUTPUT) as Array<keyof typeof WALG_OUTPUT>)('WAL-G %s without a detailed list (PG_WALG_LIST_DETAIL off, as before 0.2.10): the storage modification times, and no detailed list asked for', (line) => {
    const r = times(line, { PG_WALG_LIST_DETAIL: 'off' });
    expect(r).toMatchObject({ status: 0, stdout: modified(line) });
    expect(r.calls).toEqual(['backup-list']);
  });

  test('a backup listed but not in the detailed list (pushed between the two): its storage modification time', () => {
    const r = times('1.1.3', { PG_WALG_LIST_DETAIL: 'on' }, 'cat "$STUB_DIR/detail.json"', 'base_000000010000000000000006 2026-11-30T16:10:00Z 000000010000000000000006\\n');
    expect(r.stdout.split('\n')[2]).toBe('base_000000010000000000000006 2026-11-30T16:10:00Z modified');
  });

  test('a backup without metadata (pushed by WAL-G 0.2.9 or earlier): the storage modification times, and why', () => {
    const o = WALG_OUTPUT['1.1.3'].noMetadata;
    const r = times('1.1.3', { PG_WALG_LIST_DETAIL: 'on' }, `printf '%s' "${o.stderr}" >&2; exit ${o.exit}`);
    expect(r).toMatchObject({ status: 0, stdout: modified('1.1.3') });
    expect(r.stderr).toContain(`retention: a base backup has no metadata (pushed by a WAL-G that recorded no finish time: ${o.stderr.trim()}); the storage modification times of the base backups are compared instead`);
    expect(r.stderr).not.toContain('WARNING');
  });

  test('a detailed list that keeps failing: retried, then a warning and the storage modification times', () => {
    const r = times('1.1.3', { PG_WALG_LIST_DETAIL: 'on' }, 'echo "ERROR: 2026/11/30 dial tcp 127.0.0.1:9000: connect: connection refused" >&2; exit 1');
    expect(r).toMatchObject({ status: 0, stdout: modified('1.1.3') });
    expect(r.calls.filter((c) => c.includes('--detail'))).toHaveLength(3);
    expect(r.stderr).toContain('WARNING: WAL-G\'s detailed backup list failed: wal-g backup-list --detail --json exited 1: ERROR: 2026/11/30 dial tcp 127.0.0.1:9000: connect: connection refused; ' +
      'retention compares the storage modification times of the base backups instead');
  });

  // The two list formats give the same decision at whole seconds: the finish time's fraction and the
  // modification time cut to the second both count as the next second.
  test.each(Object.keys(WALG_OUTPUT) as Array<keyof typeof WALG_OUTPUT>)('WAL-G %s: by either list, the newer backup counts as finished at the second after it finished', (line) => {
    const f2 = WALG_OUTPUT[line].finish[1];
    const next = Math.floor(epoch(f2)) + 1;
    for (const detail of ['on', 'off']) {
      const s = stub('case "$*" in\n  \'backup-list --detail --json\') cat "$STUB_DIR/detail.json" ;;\n  backup-list) cat "$STUB_DIR/list" ;;\nesac');
      fs.writeFileSync(path.join(s.dir, 'list'), WALG_OUTPUT[line].list.UTC);
      fs.writeFileSync(path.join(s.dir, 'detail.json'), WALG_OUTPUT[line].detailJson.UTC);
      const run = (at: number) => s.lib(shell, '_l=$(list_once) && retention_times "$_l" | retention_cut "$1" 1', [String(at)], { WALG_FILE_PREFIX: '/a', PG_WALG_LIST_DETAIL: detail }).stdout;
      expect(run(next)).toMatch(/^base_000000010000000000000004 base_000000010000000000000004 (finished|was stored) at /);
      expect(run(next - 1)).toMatch(/^- base_000000010000000000000002 /);
    }
  });
});

describe.each(SHELLS.map((s) => [s.join(' '), s] as const))('the walg-backup sidecar\'s retention and delta backups under %s', (_name, shell) => {
  const SEG = '000000010000000000000003';
  const iso = (secondsAgo: number) => new Date(Date.now() - secondsAgo * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  /**
   * Runs backup.sh for `seconds` (a scheduled push every second): the stand-in lists `backups` ([name,
   * seconds ago, or a time as printed]) and a new full one for each push (the first is base_…14); its detailed list gives each the finish time a
   * quarter second after the listed time; its delete removes the backups before the one named. Returns
   * the listed times, the log, the calls, and the WALG_DELTA_MAX_STEPS each push saw.
   */
  function sidecar(backups: Array<[string, number | string]>, env: Record<string, string>, seconds = 5) {
    const s = stub(`case "$*" in
  wal-fetch*) cp "$STUB_DIR/seg" "$3" ;;
  'backup-list --detail --json') cat "$STUB_DIR/detail.json" ;;
  backup-list) cat "$STUB_DIR/list" ;;
  backup-push*) echo "\${WALG_DELTA_MAX_STEPS:-unset}" >>"$STUB_DIR/delta"; n=$(printf '0000000100000000%08X' $(($(wc -l <"$STUB_DIR/delta") + 19)))
    echo "base_$n $(date -u +%Y-%m-%dT%H:%M:%SZ) $n" >>"$STUB_DIR/list" ;;
  'delete before FIND_FULL '*) awk -v keep="$4" '$1 ~ /^base_/ && substr($1, 6, 24) < substr(keep, 6, 24) { next } { print }' "$STUB_DIR/list" >"$STUB_DIR/kept"; mv "$STUB_DIR/kept" "$STUB_DIR/list" ;;
  delete*) ;;
  *) exit 99 ;;
esac`, {
      pg_isready: 'exit 0',
      psql: `case $* in\n  *pg_is_in_recovery*) echo f ;;\n  *last_failed_time*) echo 'f||' ;;\n  *last_archived_wal*) echo ${SEG} ;;\nesac`,
    });
    walSegment(path.join(s.dir, 'seg'));
    const times = Object.fromEntries(backups.map(([n, t]) => [n, typeof t === 'number' ? iso(t) : t]));
    fs.writeFileSync(path.join(s.dir, 'list'), `name modified wal_segment_backup_start\n${Object.entries(times).map(([n, t]) => `${n} ${t} ${n.slice(5, 29)}\n`).join('')}`);
    fs.writeFileSync(path.join(s.dir, 'detail.json'), JSON.stringify(Object.entries(times).filter(([, t]) => t.endsWith('Z')).map(([n, t]) => ({ backup_name: n, finish_time: t.replace('Z', '.250000Z') }))));
    s.config('archive.env', 'WALE_S3_PREFIX=s3://walg/pg\n');
    const r = s.sidecar(shell, { PG_WALG_BACKUP_INTERVAL_SECONDS: '1', ...env }, seconds);
    const delta = fs.existsSync(path.join(s.dir, 'delta')) ? fs.readFileSync(path.join(s.dir, 'delta'), 'utf8').split('\n').filter(Boolean) : [];
    return { times, log: r.stderr, calls: s.calls().filter((c) => !c.startsWith('wal-fetch')), delta };
  }
  // Full backups 30 and 20 days ago, deltas of the second 15 and 10 days ago, a full one 5 days ago.
  const ARCHIVE: Array<[string, number]> = [[b(2), 30 * DAY], [b(4), 20 * DAY], [b(6, 4), 15 * DAY], [b(8, 6), 10 * DAY], [b(10), 5 * DAY]];
  /** The delete calls after the first push (the one each test is about). */
  const deletes = (calls: string[]) => calls.filter((c) => c.startsWith('delete')).slice(0, 1);

  test('retainFor: the backups before the one a recovery to the window\'s start begins from go, from the full backup that delta builds on', () => {
    const r = sidecar(ARCHIVE, { PG_WALG_RETAIN_SECONDS: String(12 * DAY), PG_WALG_RETAIN_FULL: '1', PG_WALG_LIST_DETAIL: 'on' });
    expect(deletes(r.calls)).toEqual([`delete before FIND_FULL ${b(4)} --confirm`]);
    expect(r.log).toContain(`retention: deleting the base backups before ${b(4)} and the WAL before it: ` +
      `${b(6, 4)} finished at ${r.times[b(6, 4)].replace('Z', '.250000Z')}, the newest base backup by `);
    expect(r.log).toContain(`the newest full backup is ${b(20)}; ${b(6, 4)} builds on the full backup ${b(4)}`);
    expect(r.log).toContain(`retention: 5 base backup(s) kept, from ${b(4)} on`);
    expect(r.log).not.toMatch(/WARNING|ERROR/);
    expect(new Set(r.delta)).toEqual(new Set(['unset']));
  });

  test('retainFor with the newest N full backups reaching further back: from the N-th newest full backup', () => {
    const r = sidecar(ARCHIVE, { PG_WALG_RETAIN_SECONDS: String(DAY), PG_WALG_RETAIN_FULL: '3', PG_WALG_LIST_DETAIL: 'off' });
    expect(deletes(r.calls)).toEqual([`delete before FIND_FULL ${b(4)} --confirm`]);
    expect(r.log).toContain(`: ${b(10)} was stored at ${r.times[b(10)]} (storage modification time), the newest base backup by`);
    expect(r.log).toContain(`the newest 3 full backups begin at ${b(4)}`);
    expect(r.calls).not.toContain('backup-list --detail --json');
  });

  test('retainFor with every backup inside the window: nothing is deleted, and the log says why', () => {
    const r = sidecar(ARCHIVE, { PG_WALG_RETAIN_SECONDS: String(60 * DAY), PG_WALG_RETAIN_FULL: '1', PG_WALG_LIST_DETAIL: 'on' });
    expect(deletes(r.calls)).toEqual([]);
    expect(r.log).toContain('retention: nothing to delete: no base backup finished by ');
    expect(r.log).toContain(`nothing is older than ${b(2)}`);
    expect(r.log).not.toMatch(/WARNING|ERROR/);
  });

  test('retainFor with a time that cannot be read: a warning, nothing deleted', () => {
    const r = sidecar([...ARCHIVE.slice(0, 1), [b(4), 'yesterday'], ...ARCHIVE.slice(2)], { PG_WALG_RETAIN_SECONDS: String(12 * DAY), PG_WALG_RETAIN_FULL: '1', PG_WALG_LIST_DETAIL: 'on' });
    expect(deletes(r.calls)).toEqual([]);
    expect(r.log).toContain(`WARNING: retention failed: cannot read the time of base backup ${b(4)} (yesterday); nothing was deleted`);
  });

  test('without retainFor: WAL-G\'s own retention by count, as before', () => {
    const r = sidecar(ARCHIVE, { PG_WALG_RETAIN_FULL: '2' });
    expect(deletes(r.calls)).toEqual(['delete retain FULL 2 --confirm']);
    expect(r.calls).not.toContain('backup-list --detail --json');
  });

  test('deltaMaxSteps: the scheduled push sees WALG_DELTA_MAX_STEPS, and the log says what it pushes', () => {
    const r = sidecar(ARCHIVE, { PG_WALG_RETAIN_FULL: '0', PG_WALG_DELTA_MAX_STEPS: '6' });
    expect(r.delta.length).toBeGreaterThan(0);
    expect(new Set(r.delta)).toEqual(new Set(['6']));
    expect(r.log).toContain('pushing a base backup to s3://walg/pg (a delta backup while the newest full backup has fewer than 6 deltas after it)');
    expect(deletes(r.calls)).toEqual([]);
  });
});
