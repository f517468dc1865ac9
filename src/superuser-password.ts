import { CredentialSpec, passwordSpec } from './_credential-spec';

/**
 * The password of the `postgres` superuser. It only ever lives in a Secret, mounted as a file.
 *
 * The pod reads the password as the file's content without the line ends at its end (`\n`, `\r\n`: the
 * newline that `kubectl create secret --from-file` or an editor leaves), the same way when it creates the
 * cluster (initdb) and when it sets the password after a restore. An empty password, or one of more than
 * one line, stops the pod with an error that names the key and never shows the value.
 *
 * @see https://kubernetes.io/docs/concepts/configuration/secret/
 */
export class SuperuserPassword {
  /**
   * An existing Secret (the recommended way).
   *
   * @param secretName the Secret's name
   * @param key the key that holds the password: letters, digits, "-", "_" and "." (checked at synth time)
   * @default key "POSTGRES_PASSWORD"
   */
  public static fromSecret(secretName: string, key?: string): SuperuserPassword {
    return new SuperuserPassword(passwordSpec('SuperuserPassword', { secretName }), key ?? 'POSTGRES_PASSWORD');
  }

  /**
   * A password given in code; the construct puts it into a Secret it creates (it appears in plain
   * text, as the Secret's `stringData`, in the synthesized manifests: keep those out of version control). Line ends at its end are dropped, as the pod would drop them; a
   * password of more than one line is refused.
   */
  public static fromValue(password: string): SuperuserPassword {
    return new SuperuserPassword(passwordSpec('SuperuserPassword', { password, key: 'POSTGRES_PASSWORD' }), 'POSTGRES_PASSWORD');
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
