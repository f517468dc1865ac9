import { checkKnownProps, NESTED_PROPS } from './_known-props';

/**
 * How a libsodium key is written in its Secret (`WALG_LIBSODIUM_KEY_TRANSFORM`).
 *
 * @see https://wal-g.readthedocs.io/#encryption
 */
export enum LibsodiumKeyTransform {
  /**
   * The key's bytes as they are: WAL-G uses the first 32. The library requires at least 32 bytes (after
   * the line ends at its end), so that every WAL-G release reads the same key (WAL-G 2.0 and later would
   * pad a shorter key with zeros; 1.x would read past its end). E.g. `openssl rand -base64 48` (64
   * characters, of which WAL-G uses 32: 192 bits).
   */
  NONE = 'none',
  /** Base64 of 32 bytes, e.g. `openssl rand -base64 32`. WAL-G 2.0.0 and later. */
  BASE64 = 'base64',
  /** Hexadecimal of 32 bytes, e.g. `openssl rand -hex 32`. WAL-G 2.0.0 and later. */
  HEX = 'hex',
}

/** Where a libsodium key is. */
export interface LibsodiumEncryptionOptions {
  /**
   * The name of an existing Secret in the database's namespace that holds the key. The key never
   * appears in the manifests: the Secret's key is mounted read-only as a file, whose path WAL-G reads
   * (`WALG_LIBSODIUM_KEY_PATH`).
   */
  readonly secretName: string;
  /**
   * The name of the Secret's data key whose value is the libsodium key (not the key itself: a value that
   * looks like key material is refused).
   * @default "WALG_LIBSODIUM_KEY"
   */
  readonly key?: string;
  /**
   * How the key is written.
   * @default LibsodiumKeyTransform.NONE
   */
  readonly keyTransform?: LibsodiumKeyTransform;
}

/** Where an OpenPGP key is. */
export interface OpenPgpEncryptionOptions {
  /**
   * The name of an existing Secret in the database's namespace that holds the ASCII-armored key. An
   * archive is written with the public key (a private key holds it too); a restore, and the sidecar's
   * check of the newest archived segment, need the private key.
   * It is mounted read-only as a file, whose path WAL-G reads (`WALG_PGP_KEY_PATH`).
   */
  readonly secretName: string;
  /**
   * The name of the Secret's data key whose value is the armored OpenPGP key.
   * @default "WALG_PGP_KEY"
   */
  readonly key?: string;
  /**
   * The name of the same Secret's data key whose value is the private key's passphrase
   * (`WALG_PGP_KEY_PASSPHRASE`), read by the pod's scripts from the mounted file: one line. Only a restore
   * and the walg-backup sidecar (which decrypts the newest archived segment to check it) get it; the
   * archiving server only encrypts, with the public key, and never sees the passphrase.
   * @default - the private key has no passphrase
   */
  readonly passphraseKey?: string;
}

/**
 * Client-side encryption of everything WAL-G uploads (WAL and base backups): the storage's owner sees
 * only ciphertext. The key comes only from a Secret, mounted read-only into the pod; restoring needs the
 * same key, so set the same `encryption` on the storage you restore from. Refused at synth time for a
 * version whose WAL-G would ignore the setting and store the data unencrypted.
 *
 * @see https://wal-g.readthedocs.io/#encryption
 */
export class WalEncryption {
  /**
   * libsodium (XChaCha20-Poly1305 secret stream) with a 32-byte key. Needs WAL-G 1.1.0 or later built
   * with the `libsodium` build tag (not 3.0.0 to 3.0.4, which ignore a key file), so no KubeDB catalog
   * version has it: the modern catalog versions do.
   */
  public static libsodium(options: LibsodiumEncryptionOptions): WalEncryption {
    if (options !== null && typeof options === 'object') {
      checkKnownProps('WalEncryption.libsodium()', 'LibsodiumEncryptionOptions', options, NESTED_PROPS.libsodium);
    }
    return new WalEncryption('libsodium', options);
  }

  /** OpenPGP with an armored key. Needs WAL-G 0.2.7 or later: every catalog version but KubeDB's 9.6-v2, 9.6.7-v2, 10.2-v2, 10.6 and 11.1 (WAL-G 0.2.4). */
  public static openPgp(options: OpenPgpEncryptionOptions): WalEncryption {
    if (options !== null && typeof options === 'object') {
      checkKnownProps('WalEncryption.openPgp()', 'OpenPgpEncryptionOptions', options, NESTED_PROPS.openPgp);
    }
    return new WalEncryption('openpgp', options);
  }

  /**
   * @param method "libsodium" or "openpgp"
   * @param _options the Secret and keys (checked at synth time)
   */
  private constructor(
    public readonly method: string,
    /** @internal */ public readonly _options: LibsodiumEncryptionOptions | OpenPgpEncryptionOptions,
  ) {}
}
