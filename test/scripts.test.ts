import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
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

test('script() returns the file verbatim', () => {
  for (const f of SCRIPT_FILES) {
    expect(script(f)).toBe(fs.readFileSync(path.join(DIR, f), 'utf8'));
  }
});
