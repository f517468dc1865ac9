import { IConstruct } from 'constructs';
import { checkDnsSubdomain, invalid, requireString } from './_validation';

/**
 * What a credentials object means for the pod, whatever the provider:
 * - secretName: an existing Secret, mounted whole (its keys are KubeDB's key names);
 * - secretData: values given in code, put into a Secret the construct creates;
 * - env: non-secret settings (URLs, user names, regions), written to the ConfigMap;
 * - serviceAccountName: keyless identity (IRSA, GKE workload identity, Azure workload identity);
 * - podLabels: labels the pod template needs for that identity (Azure's webhook mutates only labelled pods).
 */
export interface CredentialSpec {
  readonly kind: string;
  readonly secretName?: string;
  readonly secretData?: Record<string, string>;
  readonly env?: Record<string, string>;
  readonly serviceAccountName?: string;
  readonly podLabels?: Record<string, string>;
}

/** Validates a credentials object (its `_spec`) at synth time, with the construct path in the message. */
export function checkCredentialSpec(scope: IConstruct, prop: string, given: unknown, expected: string): CredentialSpec {
  const spec = (given as { _spec?: CredentialSpec } | undefined)?._spec;
  if (!spec || typeof spec !== 'object' || typeof spec.kind !== 'string') {
    // What was given instead, never its value: a plain string here is likely a password or a key.
    invalid(scope, prop, given === undefined || given === null ? undefined : `(a ${typeof given}, not shown: it may be secret)`, `expected ${expected}`);
  }
  if (spec.secretName !== undefined) {
    checkDnsSubdomain(scope, `${prop} secret name`, spec.secretName);
  }
  for (const [key, value] of Object.entries({ ...spec.secretData, ...spec.env })) {
    requireString(scope, `${prop} ${key}`, value);
  }
  if (spec.serviceAccountName !== undefined) {
    checkDnsSubdomain(scope, `${prop} service account name`, spec.serviceAccountName);
  }
  return spec;
}

/**
 * A secret value given in code, as the pod reads it from the Secret the construct creates (lib.sh's
 * secret_value, the one way the pod reads a Secret value): without the line ends at its end ("\n", "\r\n"),
 * so that the Secret holds the value the pod uses. A value with a line break, a carriage return or a NUL
 * byte before its end is refused here, at synth time, as the pod would refuse it; the message does not
 * show it. Call it after requireValues (which refuses an empty or blank value).
 */
export function secretValue(factory: string, name: string, value: string): string {
  const v = value.replace(/[\r\n]+$/, '');
  if (/[\r\n\0]/.test(v)) {
    invalid(factory, name, '(not shown: it is secret)', 'expected one line: the pod reads a Secret value without the line ends at its end, and refuses one with a line break, a carriage return or a NUL byte before its end');
  }
  return v;
}

/** Checks the values given to a credentials factory (no construct exists yet: the factory names itself). */
export function requireValues(factory: string, values: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(values)) {
    if (typeof value !== 'string' || value.trim().length === 0) {
      invalid(factory, name, value, 'expected a non-empty string');
    }
  }
}

/**
 * The spec of a password in a Secret (SuperuserPassword, ReplicationPassword): an existing Secret
 * (`<cls>.fromSecret`), or a value given in code (`<cls>.fromValue`) that the construct puts into a
 * Secret it creates under `key`, checked and trimmed as the pod reads it.
 */
export function passwordSpec(
  cls: string, given: { readonly secretName: string } | { readonly password: string; readonly key: string },
): CredentialSpec {
  if ('secretName' in given) {
    return { kind: `${cls}.fromSecret`, secretName: given.secretName };
  }
  const factory = `${cls}.fromValue()`;
  requireValues(factory, { password: given.password });
  return { kind: `${cls}.fromValue`, secretData: { [given.key]: secretValue(factory, 'password', given.password) } };
}
