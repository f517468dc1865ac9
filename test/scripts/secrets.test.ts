// A Secret value is read one way in the pod (lib.sh's secret_value), by every reader: load_storage's
// arms for each provider's keys, the superuser password when initdb creates a cluster and when a restore
// sets it. A value that ends in "\n", "\r\n" or nothing is the same value; a value of more than one line
// is refused with a message that names the key and never shows the value; an empty password is refused.
// Key files (a CA bundle, a GCS JSON key) are given to WAL-G by their path, their content untouched.
// Each case runs the real scripts under sh (dash) and busybox sh, with stand-ins for the server binaries.
import * as fs from 'fs';
import * as path from 'path';
import { PostgresVersion, WalProvider } from '../../src';
import { renderSecretKeys, script } from '../../src/_scripts';
import { newChart, PROVIDER_LIST, storageFor } from '../util';
import { SERVER, SHELLS, stub } from './stub';

/** The three endings every reader must read alike. */
const ENDINGS = [['nothing', ''], ['"\\n"', '\n'], ['"\\r\\n"', '\r\n']] as const;
/** …and more line ends at the end, which are dropped too. */
const ALL_ENDINGS = [...ENDINGS, ['"\\n\\n"', '\n\n'], ['"\\r\\n\\r\\n"', '\r\n\r\n'], ['"\\r"', '\r']] as const;
const VALUES = ['pa55word', 'it\'s "quoted" \\ $HOME `id` %s -n', ' spaced out ', 'ünïcödé 日本語'];
/** Values of more than one line (the words "first" and "second" must never be shown). */
const MULTI_LINE = [
  ['a line break inside', 'first\nsecond'],
  ['CRLF line ends inside and at the end', 'first\r\nsecond\r\n'],
  ['a carriage return inside', 'first\rsecond'],
  ['a line end before the value', '\nsecond'],
] as const;
const shells = SHELLS.map((s) => [s.join(' '), s] as const);

describe.each(shells)('secret_value under %s', (_name, shell) => {
  const s = stub('exit 0');
  const file = path.join(s.work, 'SOME_KEY');
  const read = (content: string, required: boolean) => {
    fs.writeFileSync(file, content);
    return s.lib(shell, `secret_value "$1" "key SOME_KEY of the test Secret" ${required ? 'required' : ''} && printf '%s' "$SECRET_VALUE"`, [file]);
  };

  test.each(VALUES.flatMap((v) => ALL_ENDINGS.map(([what, end]) => [v, what, end] as const)))('%j ending in %s reads as the value itself', (value, _what, end) => {
    const r = read(value + end, true);
    expect([r.status, r.stderr, r.stdout]).toEqual([0, '', value]);
  });

  test.each(MULTI_LINE)('a value with %s is refused, naming the key, never showing the value', (_what, content) => {
    for (const required of [true, false]) {
      const r = read(content, required);
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('ERROR: key SOME_KEY of the test Secret is more than one line: it holds a line break or a carriage return before its end (only the line ends at its end are ignored)');
      expect(r.stderr).not.toMatch(/first|second/);
    }
  });

  test.each([['an empty file', ''], ['"\\n" only', '\n'], ['"\\r\\n" only', '\r\n'], ['line ends only', '\r\n\n\r']])('%s: refused where a value is required, an empty value where not', (_what, content) => {
    const r = read(content, true);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('ERROR: key SOME_KEY of the test Secret is empty (a Secret value without line ends is needed)');
    expect([read(content, false).status, read(content, false).stdout]).toEqual([0, '']);
  });

  test('a NUL byte is refused, never dropped', () => {
    const r = read('first\0second', false);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('ERROR: key SOME_KEY of the test Secret holds a NUL byte, which no environment variable or password can hold');
    expect(r.stderr).not.toMatch(/first|second/);
  });

  test('a missing file is refused', () => {
    const r = s.lib(shell, 'secret_value "$1" "key SOME_KEY of the test Secret" required', [path.join(s.work, 'nothing-here')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`ERROR: key SOME_KEY of the test Secret is missing: no file ${path.join(s.work, 'nothing-here')}`);
  });
});

/** The Secret-key rules of a provider's binding (what renderSecretKeys renders into the pod's lib.sh). */
function rulesOf(provider: WalProvider) {
  const chart = newChart();
  return storageFor(chart, provider, PostgresVersion.V11_2_V1)._bind(chart, 'storage').secretKeys ?? [];
}
const PROVIDERS = PROVIDER_LIST.filter((p) => rulesOf(p).length > 0);
/** A key for each rule: the key itself, or one that the pattern matches. */
const keyOf = (rule: string) => (rule.endsWith('*') ? `${rule.slice(0, -1)}TEST_KEY` : rule);
/** A distinct value for each key, with characters a shell could misread. */
const valueOf = (key: string) => `v'${key.toLowerCase()}" \\ $x=`;
/** A key file: several lines, CRLF among them, which WAL-G must get as they are. */
const KEY_FILE = '-----BEGIN CERTIFICATE-----\r\nMIIB\n-----END CERTIFICATE-----';

describe.each(shells)('load_storage under %s: the credentials of each provider\'s Secret', (_name, shell) => {
  function load(provider: WalProvider, secret: Record<string, string>, vars?: string[]) {
    const rules = rulesOf(provider);
    const s = stub('exit 0');
    s.config('lib.sh', renderSecretKeys(script('lib.sh'), rules));
    s.config('archive.env', 'WALE_S3_PREFIX=s3://walg/pg\n');
    const dir = path.join(s.work, 'secrets', 'archive');
    fs.mkdirSync(dir, { recursive: true });
    for (const [k, v] of Object.entries(secret)) fs.writeFileSync(path.join(dir, k), v);
    const envs = vars ?? rules.map((r) => r.env ?? keyOf(r.key));
    const r = s.lib(shell, `load_storage archive; printf '%s\\0' ${envs.map((e) => `"\${${e}-<unset>}"`).join(' ')}`, [], { PG_WALG_SECRETS: path.join(s.work, 'secrets') });
    const values = r.stdout.split('\0').slice(0, -1);
    return { ...r, dir, rules, got: Object.fromEntries(envs.map((e, i) => [e, values[i]])) };
  }

  test.each(PROVIDERS.flatMap((p) => ENDINGS.map(([what, end]) => [p, what, end] as const)))('%s: values ending in %s are exported without the line ends; key files are given by path, untouched', (provider, _what, end) => {
    const rules = rulesOf(provider);
    const secret = Object.fromEntries(rules.map((r) => [keyOf(r.key), r.as === 'path' ? KEY_FILE + end : valueOf(keyOf(r.key)) + end]));
    const r = load(provider, secret);
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(r.got).toEqual(Object.fromEntries(rules.map((rule) => [rule.env ?? keyOf(rule.key), rule.as === 'path' ? path.join(r.dir, keyOf(rule.key)) : valueOf(keyOf(rule.key))])));
    for (const rule of rules.filter((x) => x.as === 'path')) {
      expect(fs.readFileSync(path.join(r.dir, keyOf(rule.key)), 'utf8')).toBe(KEY_FILE + end);
    }
  });

  test.each(PROVIDERS.flatMap((p) => rulesOf(p).filter((r) => r.as !== 'path').map((r) => [p, keyOf(r.key)] as const)))('%s: a value of more than one line in %s stops the pod, naming the key and the Secret, never the value', (provider, key) => {
    const r = load(provider, { [key]: 'first\r\nsecond\r\n' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`ERROR: key ${key} of the archive Secret is more than one line`);
    expect(r.stderr + r.stdout).not.toMatch(/first|second/);
  });

  test('an empty value is exported empty: a storage key is not required', () => {
    const r = load(WalProvider.S3, { AWS_SESSION_TOKEN: '\r\n' }, ['AWS_SESSION_TOKEN']);
    expect([r.status, r.stderr, r.got]).toEqual([0, '', { AWS_SESSION_TOKEN: '' }]);
  });
});

const PASSWORD = 'it\'s a \\ "long" pa55word with `x` $y %s and 120 more: ' + 'a'.repeat(120);
/** What PostgreSQL must read: the password as an escape string literal. */
const literal = (pw: string) => `E'${pw.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
const PASSWORD_WHAT = 'the superuser password (the key of the auth Secret that superuserPassword names, mounted as auth/POSTGRES_PASSWORD)';

/** Runs bootstrap.sh: a new cluster (initdb), or the end of a restore (restore-pending, PGDATA filled). */
function bootstrap(shell: readonly string[], how: 'initdb' | 'finish-restore' | 'restore', password: string | undefined) {
  const s = stub('echo "ERROR: stop here" >&2; exit 1', SERVER);
  for (const [name, text] of Object.entries({ 'postgresql.conf': '# settings\n', 'pg_hba.conf': 'local all all md5\n', 'recovery-settings.conf': '# recovery\n', 'restore.env': 'WALG_FILE_PREFIX=/archive/pg\n' })) {
    s.config(name, text);
  }
  const pgdata = path.join(s.work, 'data');
  const state = path.join(s.work, 'state');
  fs.mkdirSync(path.join(s.work, 'secrets', 'auth'), { recursive: true });
  if (password !== undefined) fs.writeFileSync(path.join(s.work, 'secrets', 'auth', 'POSTGRES_PASSWORD'), password);
  if (how === 'finish-restore') {
    fs.mkdirSync(pgdata);
    fs.mkdirSync(state);
    fs.writeFileSync(path.join(pgdata, 'PG_VERSION'), '17\n');
    fs.writeFileSync(path.join(pgdata, 'postgresql.conf'), '');
    fs.writeFileSync(path.join(state, 'restore-pending'), '');
  }
  const r = s.run(shell, 'bootstrap.sh', [], {
    PGDATA: pgdata,
    PG_WALG_STATE: state,
    PGHOST: s.work,
    PGPORT: '5432',
    PGUSER: 'postgres',
    PG_WALG_SECRETS: path.join(s.work, 'secrets'),
    PG_WALG_BOOTSTRAP: how === 'initdb' ? 'initdb' : 'restore',
    PG_WALG_ARCHIVE: 'off',
    PG_WALG_PG_MAJOR: '17',
    PG_WALG_RECOVERY_STYLE: 'recovery.signal',
  });
  const text = (f: string) => (fs.existsSync(path.join(s.dir, f)) ? fs.readFileSync(path.join(s.dir, f), 'utf8') : undefined);
  return { ...r, argv: text('argv') ?? '', sql: how === 'initdb' ? text('single.sql') : text('psql.sql'), walg: s.calls() };
}

describe.each(shells)('the superuser password under %s', (_name, shell) => {
  test.each(ENDINGS)('ending in %s: initdb\'s cluster and a restore get the same password, by the same SQL on stdin only', (_what, end) => {
    const created = bootstrap(shell, 'initdb', PASSWORD + end);
    const restored = bootstrap(shell, 'finish-restore', PASSWORD + end);
    for (const r of [created, restored]) {
      expect([r.status, r.stderr]).toEqual([0, expect.stringContaining('starting PostgreSQL 17')]);
      expect(r.sql).toBe(`SELECT set_config(name, value, false) FROM (VALUES ('log_statement', 'none'), ('log_min_error_statement', 'panic'), ('log_min_duration_statement', '-1'), ('log_min_duration_sample', '-1'), ('log_transaction_sample_rate', '0'), ('pg_stat_statements.track_utility', 'off'), ('pgaudit.log', 'none')) AS s (name, value) JOIN pg_settings USING (name);\nALTER ROLE "postgres" PASSWORD ${literal(PASSWORD)};\n`);
      // Never an argument of a process, never in the log.
      expect(r.argv).not.toContain('pa55word');
      expect(r.stderr + r.stdout).not.toContain('pa55word');
    }
    // initdb never reads the Secret (its --pwfile reads one line, and 10 to 13 keep 99 bytes of it).
    expect(created.argv.split('\n')[0]).toMatch(/^initdb -D \S+ -U postgres --auth=trust /);
    expect(created.argv).not.toContain('pwfile');
    expect(created.argv.split('\n')[1]).toMatch(/^postgres --single -D \S+ -c exit_on_error=true postgres$/);
    expect(restored.argv).toMatch(/^psql -X -q -v ON_ERROR_STOP=1 -h \S+ -p 5432 -U postgres -d postgres$/m);
  });

  test.each([
    ['an empty file', '', 'is empty (a Secret value without line ends is needed)'],
    ['line ends only', '\r\n', 'is empty (a Secret value without line ends is needed)'],
    ['two lines', 'first\nsecond\n', 'is more than one line'],
    ['a carriage return inside', 'first\rsecond', 'is more than one line'],
    ['no file', undefined, 'is missing: no file'],
  ])('%s: a new cluster is refused before initdb runs, naming the key, never the value', (_what, content, why) => {
    const r = bootstrap(shell, 'initdb', content);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`ERROR: ${PASSWORD_WHAT} ${why}`);
    expect(r.stderr).not.toMatch(/first|second/);
    expect(r.argv).toBe('');
  });

  test.each([['two lines', 'first\r\nsecond\r\n'], ['an empty file', '']])('%s: a restore is refused before it lists or fetches a base backup', (_what, content) => {
    const r = bootstrap(shell, 'restore', content);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`ERROR: ${PASSWORD_WHAT} is `);
    expect(r.walg).toEqual([]);
  });

  test('a pending restore is refused before its replay starts when the password has become unusable', () => {
    const r = bootstrap(shell, 'finish-restore', 'first\nsecond');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`ERROR: ${PASSWORD_WHAT} is more than one line`);
    expect(r.argv).toBe('');
  });
});
