// Strict, standalone JSON schemas for kubeconform, generated from the Kubernetes OpenAPI v2 document
// (api/openapi-spec/swagger.json of the pinned release). A TypeScript port of what
// `openapi2jsonschema --kubernetes --expanded --stand-alone --strict` does for yannh/kubernetes-json-schema:
//
// - IntOrString becomes string-or-integer, Quantity string-or-number (what the API server accepts);
// - apiVersion and kind of each kind get an enum from x-kubernetes-group-version-kind;
// - strict: every schema with `properties` and no `additionalProperties` gets
//   `additionalProperties: false`, the kind's top level included, so an unknown field is an error at
//   any depth (what the API server's strict field validation does);
// - standalone: each kind's file carries the definitions it reaches, under `definitions`, so the
//   document's own `#/definitions/…` references resolve inside the file.
//
// Files are named as kubeconform's default schema location expects: `<kind>-<version>.json` for the
// core group, `<kind>-<first label of the group>-<version>.json` otherwise, in
// `v<version>-standalone-strict/`.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

type Json = any;

/** Bumped when the generator's output changes, to regenerate cached schemas. */
const GENERATOR_VERSION = '1';

function strict(node: Json): void {
  if (Array.isArray(node)) {
    node.forEach(strict);
    return;
  }
  if (node === null || typeof node !== 'object') {
    return;
  }
  if (node.properties !== undefined && typeof node.properties === 'object' && node.additionalProperties === undefined) {
    node.additionalProperties = false;
  }
  for (const [k, v] of Object.entries(node)) {
    // Property names are data, not schemas: recurse into each property's schema only.
    if (k === 'properties' || k === 'definitions') {
      for (const s of Object.values(v as Record<string, Json>)) strict(s);
    } else {
      strict(v);
    }
  }
}

function refsOf(node: Json, out: Set<string>): void {
  if (Array.isArray(node)) {
    node.forEach((n) => refsOf(n, out));
  } else if (node !== null && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith('#/definitions/')) {
        out.add(v.slice('#/definitions/'.length));
      } else {
        refsOf(v, out);
      }
    }
  }
}

/** The definitions reachable from one definition (itself excluded unless recursive). */
function reachable(definitions: Record<string, Json>, root: string): string[] {
  const seen = new Set<string>();
  const todo = [root];
  while (todo.length > 0) {
    const name = todo.pop()!;
    const refs = new Set<string>();
    refsOf(definitions[name], refs);
    for (const r of refs) {
      if (!seen.has(r)) {
        if (!(r in definitions)) throw new Error(`${name} refers to a missing definition ${r}`);
        seen.add(r);
        todo.push(r);
      }
    }
  }
  return [...seen].sort();
}

export interface GeneratedSchemas {
  /** The directory to give kubeconform as `-schema-location DIR/{{ .ResourceKind }}{{ .KindSuffix }}.json`. */
  readonly dir: string;
  /** How many kind schemas it holds. */
  readonly kinds: number;
}

/**
 * Writes the strict schemas of every kind in `swaggerFile` into `outRoot/v<k8sVersion>-standalone-strict`,
 * unless a stamp says the same input and generator already did.
 */
export function generateSchemas(swaggerFile: string, outRoot: string, k8sVersion: string): GeneratedSchemas {
  const text = fs.readFileSync(swaggerFile, 'utf8');
  const stamp = `${crypto.createHash('sha256').update(text).digest('hex')} generator ${GENERATOR_VERSION}`;
  const dir = path.join(outRoot, `v${k8sVersion}-standalone-strict`);
  const stampFile = path.join(dir, '.stamp');
  if (fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp) {
    return { dir, kinds: fs.readdirSync(dir).filter((f) => f.endsWith('.json')).length };
  }
  const swagger = JSON.parse(text);
  const definitions: Record<string, Json> = swagger.definitions;
  definitions['io.k8s.apimachinery.pkg.util.intstr.IntOrString'] = { oneOf: [{ type: 'string' }, { type: 'integer' }] };
  definitions['io.k8s.apimachinery.pkg.api.resource.Quantity'] = { oneOf: [{ type: 'string' }, { type: 'number' }] };
  for (const def of Object.values(definitions)) {
    for (const gvk of (def['x-kubernetes-group-version-kind'] ?? []) as Array<{ group: string; version: string; kind: string }>) {
      const props = def.properties ?? {};
      const apiVersion = gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
      for (const [prop, value] of [['apiVersion', apiVersion], ['kind', gvk.kind]] as const) {
        if (props[prop] && !(props[prop].enum ?? []).includes(value)) {
          props[prop].enum = [...(props[prop].enum ?? []), value];
        }
      }
    }
  }
  strict(definitions);

  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  let kinds = 0;
  for (const [name, def] of Object.entries(definitions)) {
    for (const gvk of (def['x-kubernetes-group-version-kind'] ?? []) as Array<{ group: string; version: string; kind: string }>) {
      // Only the kind's own group/version: a definition also lists e.g. WatchEvent under every group.
      const [group, version] = name.split('.').slice(-3, -1);
      if (version !== gvk.version || (gvk.group === '' ? !['core', 'api'].includes(group) : gvk.group.split('.')[0] !== group)) {
        continue;
      }
      const suffix = gvk.group ? `-${gvk.group.split('.')[0].toLowerCase()}-${gvk.version.toLowerCase()}` : `-${gvk.version.toLowerCase()}`;
      const file = path.join(dir, `${gvk.kind.toLowerCase()}${suffix}.json`);
      const schema = {
        $schema: 'http://json-schema.org/draft-04/schema#',
        ...def,
        type: 'object',
        additionalProperties: false,
        definitions: Object.fromEntries(reachable(definitions, name).map((r) => [r, definitions[r]])),
      };
      fs.writeFileSync(file, JSON.stringify(schema));
      kinds++;
    }
  }
  fs.writeFileSync(stampFile, stamp);
  return { dir, kinds };
}

/**
 * Writes the strict schema of each version of each CustomResourceDefinition in `crdTexts` (YAML documents) into
 * `dir`, named as generateSchemas names a kind's (`<kind>-<first label of the group>-<version>.json`): its
 * `openAPIV3Schema`, made strict as the Kubernetes kinds are, except below `x-kubernetes-preserve-unknown-fields`
 * (where the API server keeps unknown fields). Returns how many it wrote.
 */
export function writeCrdSchemas(crds: Json[], dir: string): number {
  const strictCrd = (node: Json): void => {
    if (Array.isArray(node)) {
      node.forEach(strictCrd);
      return;
    }
    if (node === null || typeof node !== 'object' || node['x-kubernetes-preserve-unknown-fields'] === true) {
      return;
    }
    if (node.properties !== undefined && node.additionalProperties === undefined) {
      node.additionalProperties = false;
    }
    for (const [k, v] of Object.entries(node)) {
      if (k === 'properties') {
        for (const s of Object.values(v as Record<string, Json>)) strictCrd(s);
      } else {
        strictCrd(v);
      }
    }
  };
  let n = 0;
  for (const crd of crds) {
    if (crd?.kind !== 'CustomResourceDefinition') continue;
    const { group, names } = crd.spec;
    for (const v of crd.spec.versions) {
      const schema = structuredClone(v.schema.openAPIV3Schema);
      strictCrd(schema);
      schema.properties.apiVersion = { type: 'string', enum: [`${group}/${v.name}`] };
      schema.properties.kind = { type: 'string', enum: [names.kind] };
      const file = path.join(dir, `${names.kind.toLowerCase()}-${group.split('.')[0].toLowerCase()}-${v.name.toLowerCase()}.json`);
      fs.writeFileSync(file, JSON.stringify({ $schema: 'http://json-schema.org/draft-04/schema#', ...schema }));
      n++;
    }
  }
  return n;
}
