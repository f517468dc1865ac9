import { CredentialSpec, passwordSpec } from './_credential-spec';

/**
 * The password of the role the hot standbys stream as (`streaming_replica`, with `replicas` of 2 or
 * more). It only ever lives in a Secret, mounted as a file on the postgres container of every member:
 * the primary sets it on the role, the standbys log in with it.
 *
 * The pod reads the password as the file's content without the line ends at its end (`\n`, `\r\n`),
 * as for `SuperuserPassword`. An empty password, or one of more than one line, stops the pod with an
 * error that names the key and never shows the value.
 *
 * @see https://www.postgresql.org/docs/current/warm-standby.html#STREAMING-REPLICATION-AUTHENTICATION
 */
export class ReplicationPassword {
  /**
   * An existing Secret (the recommended way).
   *
   * @param secretName the Secret's name
   * @param key the key that holds the password: letters, digits, "-", "_" and "." (checked at synth time)
   * @default key "REPLICATION_PASSWORD"
   */
  public static fromSecret(secretName: string, key?: string): ReplicationPassword {
    return new ReplicationPassword(passwordSpec('ReplicationPassword', { secretName }), key ?? 'REPLICATION_PASSWORD');
  }

  /**
   * A password given in code. The construct puts it into a Secret it creates, `<name>-replication`
   * (it appears in plain text, as the Secret's `stringData`, in the synthesized manifests: keep those
   * out of version control). Line ends at its end are dropped, as the pod would drop them; a password
   * of more than one line is refused.
   */
  public static fromValue(password: string): ReplicationPassword {
    return new ReplicationPassword(passwordSpec('ReplicationPassword', { password, key: 'REPLICATION_PASSWORD' }), 'REPLICATION_PASSWORD');
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
