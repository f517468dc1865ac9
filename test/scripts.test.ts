import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { shippedScript } from './util';
import { libScript, renderSecretKeys, SCRIPT_FILES, script } from '../src/_scripts';

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

// load_storage's Secret keys are rendered into lib.sh per pod, from the rules of the storages it binds.
describe('the Secret keys rendered into lib.sh', () => {
  const rules = [
    { key: 'CA_CERT_DATA', env: 'WALG_S3_CA_CERT_FILE', as: 'path' as const },
    { key: 'AWS_*' },
    { key: 'AZURE_ACCOUNT_KEY', env: 'AZURE_STORAGE_ACCESS_KEY' },
    { key: 'AZURE_*' },
    { key: 'AWS_*' },
  ];
  const rendered = renderSecretKeys(script('lib.sh'), rules);

  test('exact keys come first, each once; the patterns share one arm; the catch-all stays last', () => {
    const arms = rendered.slice(rendered.indexOf('# @secret-keys:'), rendered.indexOf('esac', rendered.indexOf('# @secret-keys:')));
    expect(arms.split('\n').filter((l) => !/^\s*#/.test(l)).map((l) => l.trim()).filter((l) => l !== '')).toEqual([
      'CA_CERT_DATA) export "WALG_S3_CA_CERT_FILE=$_file" ;;',
      'AZURE_ACCOUNT_KEY) export_secret AZURE_STORAGE_ACCESS_KEY "$_file" "$_role" ;;',
      'AWS_* | AZURE_*)',
      'if is_env_name "$_key"; then',
      'export_secret "$_key" "$_file" "$_role"',
      'fi',
      ';;',
      '*) ;; # not a credential key of this pod\'s storages: left alone',
    ]);
  });

  test('the rendered lib.sh is shellcheck-clean and parses under sh and busybox sh', () => {
    const r = spawnSync('shellcheck', ['-s', 'sh', '-'], { input: rendered, encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    execFileSync('sh', ['-n'], { input: rendered });
    execFileSync('busybox', ['sh', '-n'], { input: rendered });
  });

  test('without the marker, rendering fails', () => {
    expect(() => renderSecretKeys('load_storage() { :; }\n', rules)).toThrow('lib.sh has no "# @secret-keys:" marker in load_storage');
  });
});

test('libScript() is lib.sh rendered for the rules, whatever rules came before', () => {
  const s3 = [{ key: 'CA_CERT_DATA', env: 'WALG_S3_CA_CERT_FILE', as: 'path' as const }, { key: 'AWS_*' }];
  const swift = [{ key: 'ST_*' }, { key: 'OS_*' }];
  for (const rules of [s3, swift, s3, [...s3, ...swift], swift, []]) {
    expect(libScript(rules)).toBe(renderSecretKeys(script('lib.sh'), rules));
  }
  expect(libScript(s3)).not.toBe(libScript(swift));
});

test('shippedScript (the test helper) refuses a rendered arm that is not a constant key rule', () => {
  const lib = renderSecretKeys(script('lib.sh'), [{ key: 'AWS_*' }]);
  expect(shippedScript(lib)).toBe(script('lib.sh'));
  const tampered = lib.replace('AWS_*)', 'AWS_*) touch /tmp/x ;;');
  expect(() => shippedScript(tampered)).toThrow('not a Secret-key arm of the library');
});
