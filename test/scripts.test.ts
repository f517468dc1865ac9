import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SCRIPT_FILES, script } from '../src/_scripts';

const DIR = path.join(__dirname, '..', 'src', 'scripts');

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

test('every script in src/scripts is embedded, and only those', () => {
  expect(fs.readdirSync(DIR).filter((f) => f.endsWith('.sh')).sort()).toEqual([...SCRIPT_FILES].sort());
});

// CI installs shellcheck and busybox (tools/install.sh); a developer machine without them fails
// here with a clear message rather than skipping.
test('shellcheck is clean for POSIX sh', () => {
  expect(has('shellcheck')).toBe(true);
  const r = spawnSync('shellcheck', ['-s', 'sh', '-x', ...SCRIPT_FILES], { cwd: DIR, encoding: 'utf8' });
  expect(r.stdout + r.stderr).toBe('');
  expect(r.status).toBe(0);
});

test.each(SCRIPT_FILES)('%s parses under sh -n and busybox sh -n', (f) => {
  expect(has('busybox')).toBe(true);
  execFileSync('sh', ['-n', path.join(DIR, f)]);
  execFileSync('busybox', ['sh', '-n', path.join(DIR, f)]);
});

describe('wal-fetch.sh exit codes', () => {
  // A stand-in wal-g on the PATH that exits with the code in FAKE_RC and counts its calls.
  function run(rc: number, notFoundExit: string, hang = false): { status: number | null; calls: number; stderr: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'walfetch-'));
    fs.writeFileSync(path.join(dir, 'wal-g'), `#!/bin/sh\necho x >>"$CALLS"\n${hang ? 'exec sleep 30\n' : ''}exit "$FAKE_RC"\n`, { mode: 0o755 });
    const r = spawnSync('sh', [path.join(DIR, 'wal-fetch.sh'), '000000010000000000000003', 'pg_wal/RECOVERYXLOG'], {
      encoding: 'utf8',
      env: { PATH: `${dir}:${process.env.PATH}`, CALLS: path.join(dir, 'calls'), FAKE_RC: String(rc), PG_WALG_FETCH_NOT_FOUND_EXIT: notFoundExit, PG_WALG_FETCH_ATTEMPTS: '3', PG_WALG_RETRY_SECONDS: '0', PG_WALG_CONFIG: DIR, PG_WALG_FETCH_TIMEOUT: '1' },
    });
    const calls = fs.existsSync(path.join(dir, 'calls')) ? fs.readFileSync(path.join(dir, 'calls'), 'utf8').split('\n').length - 1 : 0;
    fs.rmSync(dir, { recursive: true });
    return { status: r.status, calls, stderr: r.stderr };
  }

  test('success is 0', () => {
    expect(run(0, '74')).toMatchObject({ status: 0, calls: 1 });
  });
  test('not in the archive (74) is 1: PostgreSQL ends recovery there', () => {
    expect(run(74, '74')).toMatchObject({ status: 1, calls: 1 });
  });
  test('a storage error is retried, then aborts recovery (exit > 125) instead of ending it early', () => {
    const r = run(1, '74');
    expect(r).toMatchObject({ status: 255, calls: 3 });
    expect(r.stderr).toContain('aborting recovery rather than ending it early');
  });
  test('a wal-g that hangs (unreachable endpoint) is killed, retried, then aborts recovery', () => {
    const r = run(0, '74', true);
    expect(r).toMatchObject({ status: 255, calls: 3 });
    expect(r.stderr).toContain('timed out after 1 s');
  });
  test('WAL-G 0.2 (no distinct code): every failure is "not found"', () => {
    expect(run(1, '')).toMatchObject({ status: 1, calls: 1 });
  });
});

test('script() returns the file verbatim', () => {
  for (const f of SCRIPT_FILES) {
    expect(script(f)).toBe(fs.readFileSync(path.join(DIR, f), 'utf8'));
  }
});
