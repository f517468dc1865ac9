// Validation of PostgresVersion.custom(): a custom version decides the images, the user a pod runs as,
// the recovery configuration style (from the server's major) and the WAL-G env spelling, so a bad value
// would otherwise surface as an invalid manifest or, worse, a restore configured for the wrong major.
import { walgCanBackUp, WALG_FEATURES } from './_capabilities';
import { checkKnownProps, NESTED_PROPS } from './_known-props';
import { checkAbsolutePath, invalid, requireString } from './_validation';
// A type-only import: erased at compile time, so no import cycle at run time.
import type { CustomPostgresVersionProps, PostgresVersion, PostgresVersionImages } from './postgres-version';

const WHERE = 'PostgresVersion.custom()';
/** A valid Kubernetes label value (the name becomes app.kubernetes.io/version). */
const LABEL_VALUE = /^[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/;
const SERVER_VERSION = /^(\d+)(?:\.(\d+))?(\.\d+)?$/;
const WALG_VERSION = /^\d+\.\d+(\.\d+)?$/;
/** An image reference without whitespace, quotes or control characters: [registry/]path[:tag][@digest]. */
const IMAGE = /^[a-z0-9][a-z0-9._\-/:]*[a-z0-9](:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;

/** Throws the library's error for the first invalid property of `props`. */
export function checkCustomVersion(props: CustomPostgresVersionProps): void {
  if (props === null || typeof props !== 'object') {
    invalid(WHERE, 'props', props, 'expected an object with name, serverVersion and image');
  }
  checkKnownProps(WHERE, 'CustomPostgresVersionProps', props, NESTED_PROPS.custom);
  const name = requireString(WHERE, 'name', props.name, 'expected a name such as "17.2-walg3"');
  if (!LABEL_VALUE.test(name)) {
    invalid(WHERE, 'name', name, 'expected at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit (it becomes the app.kubernetes.io/version label)');
  }
  const server = requireString(WHERE, 'serverVersion', props.serverVersion, 'expected the PostgreSQL version the image runs, such as "17.2"');
  const m = SERVER_VERSION.exec(server);
  const major = m ? Number(m[1]) : NaN;
  const old = major < 10 && (major < 9 || m?.[2] === undefined || Number(m[2]) < 6);
  if (!m || old || (major >= 10 && m[3] !== undefined)) {
    invalid(WHERE, 'serverVersion', server, 'expected a PostgreSQL version of 9.6 or later, such as "9.6.24", "11.22", "17.2" or "17"');
  }
  checkImage(WHERE, 'image', props.image);
  checkImages(WHERE, props);
  if (props.walgBinaryPath !== undefined && props.walgImage === undefined) {
    invalid(WHERE, 'walgBinaryPath', props.walgBinaryPath, 'expected no walgBinaryPath without a walgImage to copy wal-g from (the database image\'s own wal-g is found on its PATH)');
  }
  if (props.walgVersion !== undefined) {
    const walg = requireString(WHERE, 'walgVersion', props.walgVersion, 'expected the WAL-G version in the image, such as "3.0"');
    if (!WALG_VERSION.test(walg)) {
      invalid(WHERE, 'walgVersion', walg, 'expected the WAL-G version in the image as major.minor or major.minor.patch, such as "3.0", "3.0.7" or "0.2.19"');
    }
    // Every image archives (backup-push) or restores a backup that such an image pushed.
    if (!walgCanBackUp({ name, walgVersion: walg, majorVersion: String(major) })) {
      invalid(WHERE, 'walgVersion', walg, `PostgreSQL ${server} needs WAL-G ${WALG_FEATURES.backupPostgres15.since} or later: older WAL-G calls pg_start_backup(), which PostgreSQL 15 removed`);
    }
  }
  if (props.walgBuildTags !== undefined) {
    const known = ['brotli', 'libsodium'];
    const tags: unknown = props.walgBuildTags;
    if (!Array.isArray(tags) || tags.some((t) => !known.includes(t)) || new Set(tags).size !== tags.length) {
      invalid(WHERE, 'walgBuildTags', tags, `expected a list of distinct WalgBuildTag values (${known.map((t) => `"${t}"`).join(', ')}) that the image's wal-g was built with`);
    }
  }
  if (props.uid !== undefined && (typeof props.uid !== 'number' || !Number.isInteger(props.uid) || props.uid < 1 || props.uid > 2147483647)) {
    invalid(WHERE, 'uid', props.uid, "expected the image's postgres user id, an integer from 1 to 2147483647 (pods run as non-root)");
  }
}

/** Throws the library's error for an invalid image reference. */
export function checkImage(where: string, prop: string, value: unknown): void {
  const image = requireString(where, prop, value, 'expected an image reference such as "example.com/postgres-walg:17.2"');
  if (!IMAGE.test(image) || image.includes('//')) {
    invalid(where, prop, image, 'expected an image reference such as "example.com/postgres-walg:17.2": lowercase registry and path, optional :tag and @sha256:digest, no spaces');
  }
}

/** The optional image references and the path of wal-g in its image, where given. */
function checkImages(where: string, images: PostgresVersionImages & { readonly toolsImage?: string; readonly exporterImage?: string }): void {
  for (const prop of ['image', 'toolsImage', 'exporterImage', 'walgImage'] as const) {
    if (images[prop] !== undefined) {
      checkImage(where, prop, images[prop]);
    }
  }
  if (images.walgBinaryPath !== undefined) {
    checkAbsolutePath(where, 'walgBinaryPath', images.walgBinaryPath, '/usr/local/bin/wal-g');
  }
}

/** Throws the library's error for an invalid argument of `version.withImages()`. */
export function checkVersionImages(version: PostgresVersion, images: PostgresVersionImages): void {
  const where = `PostgresVersion ${version.name}: withImages()`;
  if (images === null || typeof images !== 'object') {
    invalid(where, 'images', images, 'expected an object with image, walgImage or walgBinaryPath');
  }
  // The images the pods run: a property without an effect is refused, never dropped.
  const why: Record<string, string> = {
    toolsImage: 'no pod runs the tools image',
    exporterImage: 'the exporter\'s image is the metrics option\'s (metrics.image)',
  };
  for (const prop of Object.keys(why)) {
    const value = (images as Record<string, unknown>)[prop];
    if (value !== undefined) {
      invalid(where, prop, value, `expected image, walgImage or walgBinaryPath: ${why[prop]}`);
    }
  }
  checkKnownProps(where, 'PostgresVersionImages', images, NESTED_PROPS.images);
  checkImages(where, images);
  if (version.walgImage === undefined) {
    for (const prop of ['walgImage', 'walgBinaryPath'] as const) {
      if (images[prop] !== undefined) {
        invalid(where, prop, images[prop], `expected no ${prop}: the database image of ${version.name} has wal-g itself (WAL-G ${version.walgVersion}). ` +
          'Use PostgresVersion.custom() for an image that needs wal-g copied in');
      }
    }
  }
}
