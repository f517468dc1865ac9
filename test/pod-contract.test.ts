// The pod contract (src/_pod-contract.ts) is the one list of what the manifests and the scripts share:
// every environment name a script reads, and every state file. These tests keep the TypeScript list,
// the commented block at the top of src/scripts/lib.sh and the scripts themselves in step.
import * as fs from 'fs';
import * as path from 'path';
import { Chart, Cron, Duration, Testing } from 'cdk8s';
import { ArchivingPostgres, PostgresVersion, S3Credentials, WalRestoredPostgres, WalStorage } from '../src';
import { POD_ENV, RECOVERY_SETTINGS_KEY, REPORT_FILES, STATE_FILES } from '../src/_pod-contract';
import { SCRIPT_FILES, script } from '../src/_scripts';

const SCRIPTS = SCRIPT_FILES.map((f) => script(f)).join('\n');
const LIB_HEADER = script('lib.sh').split('\n').filter((l) => l.startsWith('#')).join('\n').split('\n\n')[0];
const names = (text: string) => new Set(text.match(/\bPG_WALG_[A-Z_]+\b/g) ?? []);

test('every PG_WALG_* name a script reads is in the contract', () => {
  expect([...names(SCRIPTS)].filter((n) => !(n in POD_ENV)).sort()).toEqual([]);
});

test('every PG_WALG_* name of the contract is read by a script (no dead names)', () => {
  expect(Object.keys(POD_ENV).filter((n) => n.startsWith('PG_WALG_') && !names(SCRIPTS).has(n))).toEqual([]);
});

test.each(Object.keys(POD_ENV))('lib.sh\'s header lists %s', (name) => {
  expect(LIB_HEADER).toMatch(new RegExp(`^#\\s+${name}\\s`, 'm'));
});

test.each(Object.values(STATE_FILES))('the state file %s is named in the scripts and in lib.sh\'s header', (file) => {
  expect(SCRIPTS).toContain(`$PG_WALG_STATE/${file}`);
  expect(LIB_HEADER).toContain(file);
});

test.each(Object.values(REPORT_FILES))('the report file %s is written in PGDATA by the scripts, removed from a fetched base backup, and in lib.sh\'s header', (file) => {
  expect(SCRIPTS).toMatch(new RegExp(`_[a-z]+_file="\\$PGDATA/${file}"`));
  expect(SCRIPTS).toMatch(new RegExp(`rm -f [^\\n]*"\\$PGDATA/${file}"`));
  expect(LIB_HEADER).toContain(file);
});

test('the scripts use no other state file', () => {
  const used = new Set([...SCRIPTS.matchAll(/\$PG_WALG_STATE\/([a-z-]+)/g)].map((m) => m[1]));
  expect([...used].sort()).toEqual(Object.values(STATE_FILES).sort());
});

test('the manifests set only contract names marked manifest, and set every one of them in some pod', () => {
  const chart = new Chart(Testing.app(), 'c', { disableResourceNameHashes: true });
  const s3 = (prefix: string) => WalStorage.s3(PostgresVersion.V11_2_V1, { bucket: 'walg', prefix, credentials: S3Credentials.fromSecret('s3') });
  new ArchivingPostgres(chart, 'a', { name: 'a', storage: s3('a'), allowNonEmptyArchive: true, baseBackupTimeout: Duration.hours(6) });
  new WalRestoredPostgres(chart, 'r', { name: 'r', source: s3('a'), backupName: 'base_000000010000000000000002', baseBackupFetchTimeout: Duration.hours(6) });
  new WalRestoredPostgres(chart, 't', { name: 't', source: s3('a'), recoveryTarget: { time: '2026-11-30T10:00:00Z' } });
  new ArchivingPostgres(chart, 'm', {
    name: 'm', storage: WalStorage.s3(PostgresVersion.V17, { bucket: 'walg', prefix: 'm', credentials: S3Credentials.fromSecret('s3') }), retainFor: Duration.days(14), deltaMaxSteps: 6,
  });
  // A primary and a standby: the role, the replication user and the primary's host.
  new ArchivingPostgres(chart, 's', { name: 's', storage: s3('s'), replicas: 2 });
  // Base backups from a standby: both sidecars say so.
  new ArchivingPostgres(chart, 'b', { name: 'b', storage: s3('b'), replicas: 2, baseBackupsFromStandby: true });
  // A restore drill: its own ConfigMap's mount.
  new ArchivingPostgres(chart, 'd', { name: 'd', storage: s3('d'), restoreDrill: { schedule: Cron.daily() } });
  const set = new Set<string>();
  for (const o of Testing.synth(chart)) {
    const template = o.kind === 'StatefulSet' ? o.spec.template : o.kind === 'CronJob' ? o.spec.jobTemplate.spec.template : undefined;
    for (const c of template?.spec.containers ?? []) for (const e of c.env) set.add(e.name);
  }
  const manifest = Object.entries(POD_ENV).filter(([, v]) => v.set === 'manifest').map(([k]) => k);
  expect([...set].sort()).toEqual(manifest.sort());
});

test('the recovery settings key is what bootstrap.sh reads', () => {
  expect(script('bootstrap.sh')).toContain(`"$PG_WALG_CONFIG/${RECOVERY_SETTINGS_KEY}"`);
  expect(fs.readFileSync(path.join(__dirname, '..', 'src', 'scripts', 'bootstrap.sh'), 'utf8')).not.toContain('$PG_WALG_CONFIG/recovery.conf');
});
