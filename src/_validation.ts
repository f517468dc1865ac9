import { isIPv4, isIPv6 } from 'net';
import { Duration } from 'cdk8s';
import { IConstruct } from 'constructs';

/**
 * Throws the library's error for a bad property value: sentence case, naming the construct path,
 * the property, the value and what would be valid.
 */
export function invalid(scope: IConstruct | string, prop: string, value: unknown, expected: string): never {
  const where = typeof scope === 'string' ? scope : scope.node.path;
  throw new Error(`Invalid ${prop} ${show(value)} in ${where}: ${expected}.`);
}

/** A value as it appears in messages: strings quoted (with escapes), the rest as JSON. */
export function show(value: unknown): string {
  if (value === undefined) {
    return '(missing)';
  }
  if (typeof value === 'string') {
    return JSON.stringify(value);
  }
  if (typeof value === 'number' && !Number.isFinite(value)) {
    return String(value); // NaN, Infinity: JSON would say null
  }
  if (value instanceof Duration) {
    return JSON.stringify(`${value.toSeconds({ integral: false })} seconds`);
  }
  try {
    // Values given in code for a Secret (a credentials object shown whole) stay out of messages.
    return JSON.stringify(value, (k, v) => (k === 'secretData' ? '(not shown: secret)' : v)) ?? String(value);
  } catch {
    return String(value);
  }
}

/** A non-empty string; `expected` says what a valid value looks like (default: any non-empty string). */
export function requireString(scope: IConstruct | string, prop: string, value: unknown, expected = 'expected a non-empty string'): string {
  if (typeof value !== 'string' || value.length === 0) {
    invalid(scope, prop, value, expected);
  }
  return value;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A Kubernetes object name that is also a DNS-1123 label (Services, StatefulSets). */
export function checkDnsLabel(scope: IConstruct | string, prop: string, value: unknown, maxLength = 63): string {
  const expected = `expected a DNS-1123 label of at most ${maxLength} characters: lower-case letters, digits and "-", starting and ending with a letter or digit`;
  const s = requireString(scope, prop, value, expected);
  if (s.length > maxLength || !DNS_LABEL.test(s)) {
    invalid(scope, prop, value, expected);
  }
  return s;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A Kubernetes object name of the DNS-1123 subdomain kind (Secrets, ConfigMaps, PVCs). */
export function checkDnsSubdomain(scope: IConstruct | string, prop: string, value: unknown): string {
  const expected = 'expected a Kubernetes object name (DNS-1123 subdomain): lower-case letters, digits, "-" and ".", at most 253 characters';
  const s = requireString(scope, prop, value, expected);
  if (s.length > 253 || !DNS_SUBDOMAIN.test(s)) {
    invalid(scope, prop, value, expected);
  }
  return s;
}

/** A key of a Secret's or ConfigMap's data: letters, digits, "-", "_" and ".", at most 253 characters. */
export function checkSecretKey(scope: IConstruct | string, prop: string, value: unknown): string {
  const expected = 'expected a Secret key: letters, digits, "-", "_" and ".", at most 253 characters (not "." or "..")';
  const s = requireString(scope, prop, value, expected);
  if (s.length > 253 || !/^[-._a-zA-Z0-9]+$/.test(s) || s === '.' || s === '..') {
    invalid(scope, prop, value, expected);
  }
  return s;
}

const QUALIFIED_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/** A Kubernetes qualified name (label and annotation keys): `[DNS subdomain prefix/]name`, the name at most 63 characters. */
export function isQualifiedName(value: unknown): boolean {
  if (typeof value !== 'string') {
    return false;
  }
  const slash = value.lastIndexOf('/');
  const prefix = slash < 0 ? undefined : value.slice(0, slash);
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    return false;
  }
  return QUALIFIED_NAME.test(value.slice(slash + 1));
}

/** A label key (a qualified name); `expected` says what a valid one looks like. */
export function checkLabelKey(scope: IConstruct | string, prop: string, value: unknown, expected = 'expected a Kubernetes label key such as "team" or "example.com/team"'): string {
  if (!isQualifiedName(value)) {
    invalid(scope, prop, value, expected);
  }
  return value as string;
}

/** A label value: empty, or at most 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit. */
export function checkLabelValue(scope: IConstruct | string, prop: string, value: unknown): string {
  if (typeof value !== 'string' || !/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/.test(value)) {
    invalid(scope, prop, value, 'expected a Kubernetes label value: at most 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit');
  }
  return value;
}

/** An IP address as a number, with its width in bits; undefined when it is neither IPv4 nor IPv6 (zones refused). */
function ipBits(address: string): { bits: bigint; width: number } | undefined {
  if (isIPv4(address)) {
    return { bits: address.split('.').reduce((n, octet) => n * 256n + BigInt(octet), 0n), width: 32 };
  }
  if (!isIPv6(address) || address.includes('%')) {
    return undefined;
  }
  let text = address;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const n = ipBits(v4[1])!.bits;
    text = `${text.slice(0, v4.index)}${(n / 65536n).toString(16)}:${(n % 65536n).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return { bits: groups.reduce((n, g) => n * 65536n + BigInt(parseInt(g, 16)), 0n), width: 128 };
}

/** A CIDR (IPv4 or IPv6) whose address is the network's: no bits set after the prefix length. */
export function checkCidr(scope: IConstruct | string, prop: string, value: unknown): string {
  const expected = 'expected a CIDR such as "203.0.113.0/24" or "2001:db8::/32": an IPv4 or IPv6 network address and a prefix length, with the bits after the prefix zero';
  const s = requireString(scope, prop, value, expected);
  const m = /^([^/]+)\/(0|[1-9][0-9]{0,2})$/.exec(s);
  const ip = m ? ipBits(m[1]) : undefined;
  const length = m ? Number(m[2]) : NaN;
  if (!ip || length > ip.width || ip.bits % 2n ** BigInt(ip.width - length) !== 0n) {
    invalid(scope, prop, value, expected);
  }
  return s;
}

/**
 * Whether the CIDR `inner` is a strict subset of the CIDR `outer` (both checked with checkCidr): the same
 * address family, a longer prefix, and the same bits up to the outer prefix.
 */
export function cidrStrictlyWithin(outer: string, inner: string): boolean {
  const [oAddress, oLength] = outer.split('/');
  const [iAddress, iLength] = inner.split('/');
  const o = ipBits(oAddress);
  const i = ipBits(iAddress);
  if (!o || !i || o.width !== i.width || Number(iLength) <= Number(oLength)) {
    return false;
  }
  const hostBits = 2n ** BigInt(o.width - Number(oLength));
  return i.bits / hostBits === o.bits / hostBits;
}

const QUANTITY = /^([+]?)([0-9]+(\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][-+]?[0-9]+)?$/;

/** A Kubernetes resource quantity such as "10Gi", "500m" or "1.5". */
export function checkQuantity(scope: IConstruct | string, prop: string, value: unknown, example: string): string {
  const expected = `expected a positive Kubernetes quantity such as "${example}"`;
  const s = requireString(scope, prop, value, expected);
  if (!QUANTITY.test(s) || Number(s.replace(/[^0-9.]/g, '')) <= 0) {
    invalid(scope, prop, value, expected);
  }
  return s;
}

/** The quantity suffixes' factors: decimal SI, and binary. */
const QUANTITY_FACTORS: Record<string, number> = Object.fromEntries([
  ...['', 'k', 'M', 'G', 'T', 'P', 'E'].map((s, i) => [s, 1000 ** i]),
  ['m', 1e-3],
  ...['Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'].map((s, i) => [s, 1024 ** (i + 1)]),
]);

/** The value of a quantity that checkQuantity took ("10Gi": 10737418240), as a number. */
export function quantityBytes(quantity: string): number {
  const m = QUANTITY.exec(quantity);
  if (!m) {
    throw new Error(`not a Kubernetes quantity: ${quantity}`);
  }
  const suffix = m[4] ?? '';
  const factor = /^[eE]/.test(suffix) ? 10 ** Number(suffix.slice(1)) : QUANTITY_FACTORS[suffix];
  return Number(m[2]) * factor;
}

export function checkPositiveInteger(scope: IConstruct | string, prop: string, value: unknown, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0 || value > max) {
    invalid(scope, prop, value, `expected a whole number from 1 to ${max}`);
  }
  return value;
}

export function checkNonNegativeInteger(scope: IConstruct | string, prop: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    invalid(scope, prop, value, 'expected a whole number, 0 or more');
  }
  return value;
}

/** No control characters (newlines, NUL, …): the value ends up in a config file or an env file. */
export function checkSingleLine(scope: IConstruct | string, prop: string, value: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    invalid(scope, prop, value, 'expected a single line without control characters');
  }
  return value;
}

/** An absolute, normalised container path. */
export function checkAbsolutePath(scope: IConstruct | string, prop: string, value: unknown, example = '/var/walg-archive'): string {
  const expected = `expected an absolute path such as "${example}", without "..", empty segments, a trailing "/", spaces or shell characters`;
  const s = requireString(scope, prop, value, expected);
  checkSingleLine(scope, prop, s);
  if (!s.startsWith('/') || s === '/' || s.endsWith('/') || s.split('/').slice(1).some((p) => p === '' || p === '.' || p === '..') || /[\s'"\\$`]/.test(s)) {
    invalid(scope, prop, value, expected);
  }
  return s;
}

/** true, false, or nothing. */
export function optionalBoolean(scope: IConstruct | string, prop: string, value: unknown): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') {
    invalid(scope, prop, value, 'expected true or false');
  }
  return value;
}

/**
 * A Duration of whole seconds, at least 1, as a number of seconds. `expected` words the error for a
 * value that is not a Duration, `expectedWhole` the one for a Duration that is not whole (default: the same).
 */
export function checkWholeSeconds(scope: IConstruct | string, prop: string, value: unknown, expected: string, expectedWhole = expected): number {
  if (!(value instanceof Duration)) {
    invalid(scope, prop, value, expected);
  }
  const s = value.toSeconds({ integral: false });
  if (!Number.isInteger(s) || s < 1) {
    invalid(scope, prop, value, expectedWhole);
  }
  return s;
}
