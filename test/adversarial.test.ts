// Adversarial values (quotes, $(...), backticks, ";", spaces, globs, "=", backslashes) in prefixes,
// Swift container names and restore point names must reach the pod as data, never as shell code:
// they are synthesized, the embedded scripts are checked with `sh -n` (and busybox's, the Alpine
// images' shell), and the real load_storage function of the embedded lib.sh loads the synthesized
// env file in sh: the exported prefix must be the value, intact, and nothing may run. Restore point
// names go into recovery.conf as PostgreSQL string literals: they must read back intact.
// (Newlines and other control characters are refused at synth time: see bad-input.test.ts. So is URL
// syntax where WAL-G reads a URL: "#", "?" and "%" in cloud prefixes, and a few more characters in a Swift
// container, the host of that URL; those values reach the pod intact as the Local prefix and the secrets.)
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import { PersistentVolumeClaim, Volume } from 'cdk8s-plus-27';
import { ArchivingPostgres, PostgresVersion, S3Credentials, SwiftCredentials, WalRestoredPostgres, WalStorage } from '../src';
import { shippedScript } from './util';
import { script as libraryScript, SCRIPT_FILES } from '../src/_scripts';
import { buildCorpus } from '../validate/corpus';

const V = PostgresVersion.V11_2_V1;
const WORK = fs.mkdtempSync(path.join(os.tmpdir(), 'pg-walg-adversarial-'));
/** Where a value that ran as code would leave a file. */
const TRAP = path.join(WORK, 'trap');
fs.mkdirSync(TRAP);
afterAll(() => fs.rmSync(WORK, { recursive: true, force: true }));

const SHELLS = ['sh', ...(spawnSync('busybox', ['true']).status === 0 ? ['busybox sh'] : [])];

const VALUES: string[] = [
  'it\'s "quoted"',
  `$(touch ${TRAP}/dollar-paren)`,
  `\`touch ${TRAP}/backtick\``,
  `a; touch ${TRAP}/semicolon; b`,
  `x' ; touch ${TRAP}/single-quote ; echo '`,
  `x" && touch ${TRAP}/double-quote && echo "`,
  `|| touch ${TRAP}/or-list &&`,
  `$(echo pwned > ${TRAP}/redirect)`,
  '${HOME} $PATH $1 $@ $$',
  'with  spaces and a trailing space ',
  ' leading space',
  'glob */[ab]? ~ !',
  'a=b=c',
  'back\\slash\\n\\t',
  '#not-a-comment',
  '-n -e',
  'ünïcödé 日本語',
];

/** A Swift container name from a value, without the characters of URL syntax that a URL host cannot hold. */
const containerOf = (v: string) => v.replace(/[ /#?%@:[\]\\^`{|}]/g, '_');
/** A cloud prefix from a value, without the characters of URL syntax that WAL-G would read as such. */
const urlPrefixOf = (v: string) => v.replace(/[#?%]/g, '_');

function chart(): Chart {
  return new Chart(Testing.app(), 'adv', { namespace: 'db', disableResourceNameHashes: true });
}

/** Synthesizes the value into an archive prefix (S3), a restore source (Swift container and prefix) and a restore point name. */
function synthesize(value: string) {
  const c = chart();
  new ArchivingPostgres(c, 'archiving', {
    name: 'archiving',
    storage: WalStorage.s3(V, { bucket: 'walg-archive', prefix: urlPrefixOf(value), credentials: S3Credentials.fromSecret('s3-walg') }),
  });
  new WalRestoredPostgres(c, 'restored', {
    name: 'restored',
    source: WalStorage.swift(V, { container: containerOf(value), prefix: urlPrefixOf(value), credentials: SwiftCredentials.fromSecret('swift-walg') }),
    recoveryTarget: Buffer.byteLength(value) <= 63 ? { name: value } : undefined,
  });
  new WalRestoredPostgres(c, 'local', {
    name: 'local',
    source: WalStorage.local(V, {
      volume: Volume.fromPersistentVolumeClaim(c, 'claim', PersistentVolumeClaim.fromClaimName(c, 'pvc', 'walg')), mountPath: '/var/walg-archive', prefix: value,
    }),
  });
  const objs = Testing.synth(c) as any[];
  const config = (name: string) => objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === `${name}-config`).data as Record<string, string>;
  return { archiving: config('archiving'), restored: config('restored'), local: config('local'), objs };
}

/** Writes a ConfigMap's files into a fresh directory, as the pod mounts them. */
function mount(data: Record<string, string>, secrets: Record<string, Record<string, string>> = {}): { config: string; secrets: string; cwd: string } {
  const dir = fs.mkdtempSync(path.join(WORK, 'pod-'));
  const config = path.join(dir, 'config');
  const secretsDir = path.join(dir, 'secrets');
  const cwd = path.join(dir, 'cwd');
  for (const d of [config, secretsDir, cwd]) fs.mkdirSync(d);
  for (const [k, v] of Object.entries(data)) fs.writeFileSync(path.join(config, k), v);
  for (const [role, files] of Object.entries(secrets)) {
    fs.mkdirSync(path.join(secretsDir, role));
    for (const [k, v] of Object.entries(files)) fs.writeFileSync(path.join(secretsDir, role, k), v);
  }
  return { config, secrets: secretsDir, cwd };
}

/** Runs load_storage ROLE from the mounted lib.sh in `shell` and returns the named variables (NUL-separated). */
function loadStorage(shell: string, pod: ReturnType<typeof mount>, role: string, vars: string[]): Record<string, string> {
  for (const v of vars) expect(v).toMatch(/^[A-Z_][A-Z0-9_]*$/);
  const script = `. "$PG_WALG_CONFIG/lib.sh"; load_storage "$1"; printf '%s\\0' ${vars.map((v) => `"\${${v}-<unset>}"`).join(' ')}`;
  const [cmd, ...pre] = shell.split(' ');
  const r = spawnSync(cmd, [...pre, '-c', script, 'sh', role], {
    cwd: pod.cwd,
    env: { PATH: process.env.PATH, HOME: pod.cwd, PG_WALG_CONFIG: pod.config, PG_WALG_SECRETS: pod.secrets },
    encoding: 'utf8',
  });
  expect([r.status, r.stderr]).toEqual([0, '']);
  const values = r.stdout.split('\0').slice(0, -1);
  expect(values).toHaveLength(vars.length);
  return Object.fromEntries(vars.map((v, i) => [v, values[i]]));
}

/** The value of a PostgreSQL configuration string literal ('…' with '' and backslash escapes). */
function confValue(conf: string, key: string): string[] {
  return [...conf.matchAll(new RegExp(`^${key} = '((?:[^'\\\\]|''|\\\\.)*)'$`, 'gm'))]
    .map((m) => m[1].replace(/''|\\(.)/g, (s, c) => (s === "''" ? "'" : c)));
}

const trapIsEmpty = () => expect(fs.readdirSync(TRAP)).toEqual([]);

describe('the embedded scripts', () => {
  const data = buildCorpus().entries[0].objects.find((o) => o.kind === 'ConfigMap')!.data as Record<string, string>;
  const pod = mount(data);

  test('are the library\'s scripts, verbatim', () => {
    for (const f of SCRIPT_FILES) expect([f, shippedScript(data[f]) === libraryScript(f as (typeof SCRIPT_FILES)[number])]).toEqual([f, true]);
  });

  test.each(SCRIPT_FILES.flatMap((f) => SHELLS.map((s) => [f, s] as const)))('%s parses with %s -n', (file, shell) => {
    const [cmd, ...pre] = shell.split(' ');
    const r = spawnSync(cmd, [...pre, '-n', path.join(pod.config, file)], { encoding: 'utf8' });
    expect([r.status, r.stderr]).toEqual([0, '']);
  });
});

describe.each(VALUES.map((v) => [JSON.stringify(v), v] as const))('the value %s', (_shown, value) => {
  const { archiving, restored, local, objs } = synthesize(value);

  test('is synthesized, and is in no env var of a container', () => {
    expect(archiving['archive.env']).toContain(`=s3://walg-archive/${urlPrefixOf(value)}\n`);
    expect(local['restore.env']).toContain(`=/var/walg-archive/${value}\n`);
    for (const sts of objs.filter((o) => o.kind === 'StatefulSet')) {
      for (const c of sts.spec.template.spec.containers) {
        for (const e of c.env) expect([e.name, String(e.value).includes(value)]).toEqual([e.name, false]);
      }
    }
  });

  test('never reaches a script: every embedded script is the one checked with sh -n above', () => {
    for (const data of [archiving, restored, local]) {
      const scripts = Object.keys(data).filter((k) => k.endsWith('.sh')).sort();
      expect(scripts).toEqual([...SCRIPT_FILES].sort());
      for (const f of scripts) expect([f, shippedScript(data[f]) === libraryScript(f as (typeof SCRIPT_FILES)[number])]).toEqual([f, true]);
    }
  });

  test.each(SHELLS)('%s: load_storage archive exports the S3 prefix and a credential file intact, and runs nothing', (shell) => {
    const pod = mount(archiving, { archive: { AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: value } });
    const got = loadStorage(shell, pod, 'archive', ['WALE_S3_PREFIX', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION', 'WALG_S3_MAX_RETRIES']);
    expect(got).toEqual({ WALE_S3_PREFIX: `s3://walg-archive/${urlPrefixOf(value)}`, AWS_SECRET_ACCESS_KEY: value, AWS_REGION: '<unset>', WALG_S3_MAX_RETRIES: '<unset>' });
    trapIsEmpty();
    expect(fs.readdirSync(pod.cwd)).toEqual([]);
  });

  test.each(SHELLS)('%s: load_storage restore exports the Swift prefix intact, and runs nothing', (shell) => {
    const pod = mount(restored, { restore: { ST_KEY: value } });
    const got = loadStorage(shell, pod, 'restore', ['WALE_SWIFT_PREFIX', 'ST_KEY']);
    expect(got).toEqual({ WALE_SWIFT_PREFIX: `swift://${containerOf(value)}/${urlPrefixOf(value)}`, ST_KEY: value });
    trapIsEmpty();
    expect(fs.readdirSync(pod.cwd)).toEqual([]);
  });

  test.each(SHELLS)('%s: load_storage restore exports the Local prefix intact, and runs nothing', (shell) => {
    const pod = mount(local);
    expect(loadStorage(shell, pod, 'restore', ['WALG_FILE_PREFIX'])).toEqual({ WALG_FILE_PREFIX: `/var/walg-archive/${value}` });
    trapIsEmpty();
    expect(fs.readdirSync(pod.cwd)).toEqual([]);
  });

  test('the restore point name reads back intact from recovery.conf, on one line', () => {
    const conf = restored['recovery-settings.conf'];
    if (Buffer.byteLength(value) > 63) return;
    expect(confValue(conf, 'recovery_target_name')).toEqual([value]);
    expect(conf.split('\n').filter((l) => l.startsWith('recovery_target_name'))).toHaveLength(1);
    expect(conf.split('\n').filter((l) => l && !l.startsWith('#') && !/^[a-z_]+ = /.test(l))).toEqual([]);
  });
});
