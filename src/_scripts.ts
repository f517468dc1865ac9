import * as fs from 'fs';
import * as path from 'path';

/** The scripts the pod runs, in the order they are embedded into the ConfigMap. */
export const SCRIPT_FILES = ['bootstrap.sh', 'backup.sh', 'wal-fetch.sh', 'lib.sh'] as const;

const cache = new Map<string, string>();

/**
 * The text of a pod script. The scripts are real files (src/scripts, copied to lib/scripts by the
 * build), read at synth time and embedded into the ConfigMap.
 */
export function script(name: (typeof SCRIPT_FILES)[number]): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = fs.readFileSync(path.join(__dirname, 'scripts', name), 'utf8');
    cache.set(name, text);
  }
  return text;
}
