import { CredentialSpec, requireValues } from './_credential-spec';

/**
 * The password of the `postgres` superuser. It only ever lives in a Secret, mounted as a file.
 */
export class SuperuserPassword {
  /**
   * An existing Secret (the recommended way).
   *
   * @param secretName the Secret's name
   * @param key the key that holds the password
   */
  public static fromSecret(secretName: string, key?: string): SuperuserPassword {
    return new SuperuserPassword({ kind: 'SuperuserPassword.fromSecret', secretName }, key ?? 'POSTGRES_PASSWORD');
  }

  /**
   * A password given in code; the construct puts it into a Secret it creates (it appears, base64,
   * in the synthesized manifests).
   */
  public static fromValue(password: string): SuperuserPassword {
    requireValues('SuperuserPassword.fromValue()', { password });
    return new SuperuserPassword({ kind: 'SuperuserPassword.fromValue', secretData: { POSTGRES_PASSWORD: password } }, 'POSTGRES_PASSWORD');
  }

  /** @internal */
  public readonly _spec: CredentialSpec;
  /** @internal */
  public readonly _key: string;

  private constructor(spec: CredentialSpec, key: string) {
    this._spec = spec;
    this._key = key;
  }
}
