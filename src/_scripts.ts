import * as fs from 'fs';
import * as path from 'path';
import type { SecretKeyRule } from './_storage-binding';

/** The scripts the pod runs, in the order they are embedded into the ConfigMap. */
export const SCRIPT_FILES = ['bootstrap.sh', 'backup.sh', 'wal-fetch.sh', 'promote.sh', 'drill.sh', 'lib.sh'] as const;

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

const SECRET_KEYS_MARKER = /^( *)# @secret-keys:.*\n(?:\1#.*\n)*/m;

/** lib.sh rendered for each set of rules so far (the providers' constant rules: a handful of sets). */
const libByRules = new Map<string, string>();

/**
 * The lib.sh a pod ships: renderSecretKeys() of the file for the rules of its storages, rendered once per
 * set of rules, so that the instances of an app with the same providers share one text.
 */
export function libScript(rules: readonly SecretKeyRule[]): string {
  const key = JSON.stringify(rules.map((r) => [r.key, r.env, r.as]));
  let text = libByRules.get(key);
  if (text === undefined) {
    text = renderSecretKeys(script('lib.sh'), rules);
    libByRules.set(key, text);
  }
  return text;
}

/**
 * lib.sh with the case arms of `rules` inserted where load_storage marks them (after the marker's
 * comment): exact keys first (so that "AZURE_ACCOUNT_KEY" wins over "AZURE_*"), then one arm for the
 * patterns and the keys exported under their own names. A value is read by lib.sh's export_secret (the one
 * way every Secret value is read: secret_value); a key read as a file ('path') exports the file's path, and
 * its content reaches WAL-G as it is.
 */
export function renderSecretKeys(lib: string, rules: readonly SecretKeyRule[]): string {
  const m = SECRET_KEYS_MARKER.exec(lib);
  if (!m) {
    throw new Error('lib.sh has no "# @secret-keys:" marker in load_storage');
  }
  const indent = m[1];
  const arms: string[] = [];
  const plain: string[] = [];
  const seen = new Set<string>();
  for (const r of rules) {
    if (seen.has(r.key)) continue;
    seen.add(r.key);
    if (r.env === undefined && r.as !== 'path') {
      plain.push(r.key);
    } else {
      const env = r.env ?? r.key;
      arms.push(r.as === 'path' ? `${indent}${r.key}) export "${env}=$_file" ;;` : `${indent}${r.key}) export_secret ${env} "$_file" "$_role" ;;`);
    }
  }
  if (plain.length > 0) {
    arms.push(`${indent}${plain.join(' | ')})`, `${indent}  if is_env_name "$_key"; then`, `${indent}    export_secret "$_key" "$_file" "$_role"`,
      `${indent}  fi`, `${indent}  ;;`);
  }
  const at = m.index + m[0].length;
  return lib.slice(0, at) + arms.map((a) => `${a}\n`).join('') + lib.slice(at);
}
