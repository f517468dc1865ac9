import { IConstruct } from 'constructs';
import { hasPostgresFeature, POSTGRES_FEATURES, recoveryStyle } from './_capabilities';
import { checkKnownProps, NESTED_PROPS } from './_known-props';
import { checkSingleLine, invalid, requireString } from './_validation';
import { PostgresVersion } from './postgres-version';
import { RecoveryTarget } from './recovery-target';

export interface RenderedRecovery {
  /** The recovery settings file (recovery.conf for PostgreSQL <= 11, parameters for >= 12). */
  readonly conf: string;
  /** The target time in UTC, to pick the base backup. */
  readonly targetTimeUtc?: string;
}

const TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?\s*(Z|UTC|[+-]\d{2}(:?\d{2})?)$/;

/** recovery.conf / postgresql.conf string literal. */
export function confString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

export function renderRecovery(scope: IConstruct, version: PostgresVersion, target: RecoveryTarget | undefined): RenderedRecovery {
  const t = target ?? {};
  if (typeof t !== 'object') {
    invalid(scope, 'recoveryTarget', t, 'expected an object with at most one of time, xid, name, lsn and immediate');
  }
  // A misspelt target ("tiem") would otherwise restore to the end of the archive.
  checkKnownProps(scope, 'RecoveryTarget', t, NESTED_PROPS.recoveryTarget);
  const set = (['time', 'xid', 'name', 'lsn', 'immediate'] as const).filter((k) => t[k] !== undefined && t[k] !== false);
  if (set.length > 1) {
    invalid(scope, 'recoveryTarget', t, `expected at most one of time, xid, name, lsn and immediate (got ${set.join(' and ')})`);
  }
  const lines = [
    `# Recovery settings for PostgreSQL ${version.majorVersion} (cdk8s-postgres-walg).`,
    recoveryStyle(version) === 'recovery.signal'
      ? '# PostgreSQL >= 12: included in postgresql.conf while recovery.signal exists.'
      : '# PostgreSQL <= 11: copied to PGDATA/recovery.conf; PostgreSQL renames it recovery.done when it promotes.',
    // wal-fetch.sh tells "not in the archive" from a storage error (exit codes); see the script.
    'restore_command = \'sh "$PG_WALG_CONFIG/wal-fetch.sh" %f %p\'',
  ];
  let targetTimeUtc: string | undefined;
  if (t.time !== undefined) {
    const time = recoveryTargetTime(scope, t.time);
    targetTimeUtc = time.utc;
    lines.push(...time.lines);
  }
  lines.push(...recoveryTargetLines(scope, version, t));
  if (t.immediate !== undefined && typeof t.immediate !== 'boolean') {
    invalid(scope, 'recoveryTarget.immediate', t.immediate, 'expected true or false');
  }
  if (t.immediate) {
    lines.push("recovery_target = 'immediate'");
  }
  if (t.inclusive !== undefined) {
    if (typeof t.inclusive !== 'boolean') {
      invalid(scope, 'recoveryTarget.inclusive', t.inclusive, 'expected true or false');
    }
    if (!['time', 'xid', 'lsn'].includes(set[0])) {
      invalid(scope, 'recoveryTarget.inclusive', t.inclusive, 'inclusive applies only to a time, xid or lsn target');
    }
    lines.push(`recovery_target_inclusive = ${t.inclusive}`);
  }
  const timeline = t.timeline ?? 'latest';
  if (typeof timeline !== 'string' || !/^(latest|current|[1-9][0-9]{0,9})$/.test(timeline)) {
    invalid(scope, 'recoveryTarget.timeline', t.timeline, 'expected "latest", "current" or a timeline number such as "2"');
  }
  lines.push(`recovery_target_timeline = ${confString(timeline)}`);
  if (set.length > 0) {
    // Without it, PostgreSQL pauses at the target (hot standby) instead of opening the database.
    lines.push("recovery_target_action = 'promote'");
  }
  return { conf: lines.join('\n') + '\n', targetTimeUtc };
}

/**
 * A recovery_target_time: the instant in UTC (to pick the base backup) and the lines that set it.
 */
function recoveryTargetTime(scope: IConstruct, time: unknown): { readonly utc: string; readonly lines: string[] } {
  const expected = 'expected a time stamp with an explicit time zone, such as "2026-11-23T10:15:00Z" or "2026-11-23 10:15:00+01:00"';
  const s = requireString(scope, 'recoveryTarget.time', time, expected);
  const m = TIME.exec(s);
  if (!m) {
    invalid(scope, 'recoveryTarget.time', time, expected);
  }
  const [, y, mo, d, h, mi, sec] = m.map(Number);
  const probe = new Date(Date.UTC(y, mo - 1, d, h, mi, sec));
  if (probe.getUTCFullYear() !== y || probe.getUTCMonth() !== mo - 1 || probe.getUTCDate() !== d || h > 23 || mi > 59 || sec > 59) {
    invalid(scope, 'recoveryTarget.time', time, 'expected a real date and time (this one does not exist)');
  }
  // The instant in UTC, written with a numeric offset: PostgreSQL >= 12 rejects time zone
  // abbreviations such as "Z" or "UTC" in recovery_target_time, and a zone-less value would
  // follow the server's TimeZone.
  const zone = m[8];
  let offsetMinutes = 0;
  if (zone !== 'Z' && zone !== 'UTC') {
    const digits = zone.slice(1).replace(':', ''); // "01" or "0130"
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0'));
  }
  if (Math.abs(offsetMinutes) > 15 * 60) {
    invalid(scope, 'recoveryTarget.time', time, 'expected a time zone offset between -15:00 and +15:00');
  }
  const utc = new Date(probe.getTime() - offsetMinutes * 60_000);
  const fraction = m[7] ?? '';
  const stamp = utc.toISOString().slice(0, 19);
  return {
    utc: `${stamp}Z`,
    lines: [`# recovery target time as given: ${s}`, `recovery_target_time = '${stamp.replace('T', ' ')}${fraction}+00'`],
  };
}

/** The lines of an xid, name or lsn target, each checked. */
function recoveryTargetLines(scope: IConstruct, version: PostgresVersion, t: RecoveryTarget): string[] {
  const lines: string[] = [];
  if (t.xid !== undefined) {
    const expected = 'expected a transaction id as a string: a whole number of 3 or more, such as "1234"';
    const s = requireString(scope, 'recoveryTarget.xid', t.xid, expected);
    if (!/^[0-9]{1,20}$/.test(s) || BigInt(s) < 3n || BigInt(s) > 18446744073709551615n) {
      invalid(scope, 'recoveryTarget.xid', t.xid, expected);
    }
    lines.push(`recovery_target_xid = ${confString(s)}`);
  }
  if (t.name !== undefined) {
    const s = requireString(scope, 'recoveryTarget.name', t.name);
    checkSingleLine(scope, 'recoveryTarget.name', s);
    if (Buffer.byteLength(s) > 63) {
      invalid(scope, 'recoveryTarget.name', t.name, 'expected a restore point name of at most 63 bytes');
    }
    lines.push(`recovery_target_name = ${confString(s)}`);
  }
  if (t.lsn !== undefined) {
    const expected = 'expected a WAL location such as "0/3000060" (two hexadecimal numbers separated by "/")';
    const s = requireString(scope, 'recoveryTarget.lsn', t.lsn, expected);
    if (!/^[0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8}$/.test(s)) {
      invalid(scope, 'recoveryTarget.lsn', t.lsn, expected);
    }
    if (!hasPostgresFeature(version, 'recoveryTargetLsn')) {
      invalid(scope, 'recoveryTarget.lsn', t.lsn, `an LSN target needs PostgreSQL ${POSTGRES_FEATURES.recoveryTargetLsn.since} or later, and ${version.name} runs PostgreSQL ${version.serverVersion}; use time, xid or name`);
    }
    lines.push(`recovery_target_lsn = ${confString(s)}`);
  }
  return lines;
}
