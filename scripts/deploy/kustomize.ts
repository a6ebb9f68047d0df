/**
 * A small kustomize, for machines without `kubectl`: renders deploy/kubernetes/ with the
 * subset of kustomize the manifests use, and refuses anything else by name, so a manifest
 * that starts using another feature fails the test instead of rendering differently.
 *
 * Supported: `resources` (files, folders), `components`, `configMapGenerator` and
 * `secretGenerator` (`envs`, `literals`, `type`; the name gets kustomize's content hash, and
 * references to it in pod specs follow), `patches` (strategic merge, from `path` or `patch`,
 * with an optional `target` by kind/name/labelSelector), `labels` (`pairs`, `includeTemplates`),
 * `images` (`name`, `newName`, `newTag`, `digest`). Transformers run in kustomize's order
 * (patches, labels, images). Where `kubectl` exists, the test checks this renderer against
 * `kubectl kustomize`, object for object.
 * @example const objects = renderKustomization('deploy/kubernetes/overlays/monolith')
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [key: string]: unknown };
  [key: string]: unknown;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface Generator { name: string; envs?: string[]; literals?: string[]; type?: string; [key: string]: unknown }
interface Patch { path?: string; patch?: string; target?: { kind?: string; name?: string; labelSelector?: string; [key: string]: unknown }; [key: string]: unknown }
interface LabelSet { pairs: Record<string, string>; includeTemplates?: boolean; includeSelectors?: boolean; [key: string]: unknown }
interface Image { name: string; newName?: string; newTag?: string; digest?: string; [key: string]: unknown }

interface Kustomization {
  apiVersion?: string;
  kind?: string;
  resources?: string[];
  components?: string[];
  configMapGenerator?: Generator[];
  secretGenerator?: Generator[];
  patches?: Patch[];
  labels?: LabelSet[];
  images?: Image[];
}

const SUPPORTED_FIELDS = new Set(['apiVersion', 'kind', 'resources', 'components', 'configMapGenerator', 'secretGenerator', 'patches', 'labels', 'images']);
const FILE_NAMES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

export class UnsupportedKustomization extends Error {
  override readonly name = 'UnsupportedKustomization';
}

/** What has been built so far: the objects, and each generated object's name before its hash. */
interface Accumulation {
  objects: KubernetesObject[];
  /** `ConfigMap/commerce-config` → `commerce-config-675h9c6cc6` */
  generatedNames: Map<string, string>;
}

/** Renders the kustomization in `dir` (a Kustomization, as `kubectl kustomize <dir>` does). */
export function renderKustomization(dir: string): KubernetesObject[] {
  const built = build(path.resolve(dir), 'Kustomization');
  return built.objects;
}

function readKustomization(dir: string): Kustomization {
  const file = FILE_NAMES.map((name) => path.join(dir, name)).find((candidate) => existsSync(candidate));
  if (!file) throw new UnsupportedKustomization(`no kustomization.yaml in ${dir}`);
  const parsed = parseYaml(readFileSync(file, 'utf8'), file);
  if (parsed.length !== 1) throw new UnsupportedKustomization(`${file}: one document expected`);
  const kustomization = parsed[0] as Kustomization;
  const unsupported = Object.keys(kustomization).filter((key) => !SUPPORTED_FIELDS.has(key));
  if (unsupported.length > 0) throw new UnsupportedKustomization(`${file}: ${unsupported.join(', ')} not supported by this renderer (use kubectl kustomize)`);
  return kustomization;
}

function parseYaml(text: string, source: string): unknown[] {
  return parseAllDocuments(text).flatMap((document) => {
    if (document.errors.length > 0) throw new Error(`${source}: ${document.errors[0]!.message}`);
    const value: unknown = document.toJS();
    return value === null || value === undefined ? [] : [value];
  });
}

function build(dir: string, kind: 'Kustomization' | 'Component', into?: Accumulation): Accumulation {
  const kustomization = readKustomization(dir);
  const declared = kustomization.kind ?? 'Kustomization';
  if (declared !== kind) throw new UnsupportedKustomization(`${dir}: a ${kind} is expected here, found ${declared}`);
  const acc: Accumulation = into ?? { objects: [], generatedNames: new Map() };

  for (const entry of kustomization.resources ?? []) {
    const target = path.resolve(dir, entry);
    if (statSync(target).isDirectory()) {
      const sub = build(target, 'Kustomization');
      addObjects(acc, sub.objects, target);
      for (const [key, value] of sub.generatedNames) acc.generatedNames.set(key, value);
    } else {
      addObjects(acc, parseYaml(readFileSync(target, 'utf8'), target) as KubernetesObject[], target);
    }
  }
  // A component works on everything accumulated so far, as an overlay would.
  for (const entry of kustomization.components ?? []) build(path.resolve(dir, entry), 'Component', acc);

  for (const generator of kustomization.configMapGenerator ?? []) addObjects(acc, [generate(acc, 'ConfigMap', generator, dir)], dir);
  for (const generator of kustomization.secretGenerator ?? []) addObjects(acc, [generate(acc, 'Secret', generator, dir)], dir);

  for (const patch of kustomization.patches ?? []) applyPatch(acc.objects, patch, dir);
  for (const labels of kustomization.labels ?? []) applyLabels(acc.objects, labels, dir);
  for (const image of kustomization.images ?? []) applyImage(acc.objects, image, dir);
  fixGeneratedNameReferences(acc);
  return acc;
}

function keyOf(object: KubernetesObject): string {
  return `${object.kind}/${object.metadata?.namespace ?? ''}/${object.metadata?.name}`;
}

function addObjects(acc: Accumulation, objects: KubernetesObject[], source: string): void {
  for (const object of objects) {
    if (typeof object?.kind !== 'string' || typeof object.apiVersion !== 'string' || typeof object.metadata?.name !== 'string') {
      throw new Error(`${source}: every object needs apiVersion, kind and metadata.name`);
    }
    if (acc.objects.some((existing) => keyOf(existing) === keyOf(object))) throw new Error(`${source}: ${keyOf(object)} is defined twice`);
    acc.objects.push(object);
  }
}

// ---- generators ---------------------------------------------------------------------------

/** `KEY=value` lines as kustomize reads an env file: leading blanks, blank lines and `#` comments dropped, the value kept as written. */
export function parseEnvFile(text: string, source: string): [string, string][] {
  return text.replace(/^\uFEFF/, '').split('\n').flatMap((raw, index) => {
    const line = raw.replace(/\r$/, '').trimStart();
    if (line === '' || line.startsWith('#')) return [];
    const equals = line.indexOf('=');
    if (equals < 0) throw new UnsupportedKustomization(`${source}:${index + 1}: a line without "=" (taken from the environment by kustomize) is not supported`);
    const key = line.slice(0, equals);
    if (!/^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(key)) throw new Error(`${source}:${index + 1}: invalid key ${JSON.stringify(key)}`);
    return [[key, line.slice(equals + 1)] as [string, string]];
  });
}

/** Base64 the way kustomize writes Secret data: lines of 70, each ending in a newline, once longer than one line. */
export function kustomizeBase64(value: string): string {
  const encoded = Buffer.from(value, 'utf8').toString('base64');
  const lineLength = 70;
  if (Math.floor(encoded.length / lineLength) + 1 <= 1) return encoded;
  let out = '';
  for (let i = 0; i < encoded.length; i += lineLength) out += `${encoded.slice(i, i + lineLength)}\n`;
  return out;
}

/** JSON as Go's encoding/json writes it (sorted keys; <, >, & and U+2028/9 escaped; short escapes for \n \r \t only). */
function goJson(value: Json): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'number') return JSON.stringify(value);
  if (typeof value === 'string') {
    return `"${[...value].map((ch) => {
      const code = ch.codePointAt(0)!;
      if (ch === '"') return '\\"';
      if (ch === '\\') return '\\\\';
      if (ch === '\n') return '\\n';
      if (ch === '\r') return '\\r';
      if (ch === '\t') return '\\t';
      if (code < 0x20 || ch === '<' || ch === '>' || ch === '&' || code === 0x2028 || code === 0x2029) return `\\u${code.toString(16).padStart(4, '0')}`;
      return ch;
    }).join('')}"`;
  }
  if (Array.isArray(value)) return `[${value.map(goJson).join(',')}]`;
  return `{${Object.keys(value).sort().map((key) => `${goJson(key)}:${goJson(value[key]!)}`).join(',')}}`;
}

/**
 * kustomize's name suffix: sha256 of the object's kind, (type,) data and name as JSON, 10 hex
 * digits with some letters swapped. kustomize 5 hashes a generated object before it is named,
 * so the name in the hash is empty: the suffix depends on the content only.
 */
export function kustomizeHash(object: { kind: 'ConfigMap' | 'Secret'; type?: string; data: Record<string, string> }): string {
  const encoded: JsonObject = object.kind === 'ConfigMap'
    ? { kind: 'ConfigMap', name: '', data: object.data }
    : { kind: 'Secret', type: object.type ?? 'Opaque', name: '', data: object.data };
  const hex = createHash('sha256').update(goJson(encoded)).digest('hex').slice(0, 10);
  const swaps: Record<string, string> = { 0: 'g', 1: 'h', 3: 'k', a: 'm', e: 't' };
  return [...hex].map((ch) => swaps[ch] ?? ch).join('');
}

function generate(acc: Accumulation, kind: 'ConfigMap' | 'Secret', generator: Generator, dir: string): KubernetesObject {
  const unsupported = Object.keys(generator).filter((key) => !['name', 'envs', 'literals', 'type'].includes(key) || (key === 'type' && kind !== 'Secret'));
  if (unsupported.length > 0) throw new UnsupportedKustomization(`${dir}: ${kind} generator option(s) ${unsupported.join(', ')} not supported by this renderer`);
  const pairs: [string, string][] = [];
  for (const env of generator.envs ?? []) {
    const file = path.resolve(dir, env);
    pairs.push(...parseEnvFile(readFileSync(file, 'utf8'), file));
  }
  for (const literal of generator.literals ?? []) {
    const equals = literal.indexOf('=');
    if (equals < 1) throw new Error(`${dir}: literal ${JSON.stringify(literal)} is not KEY=value`);
    pairs.push([literal.slice(0, equals), literal.slice(equals + 1)]);
  }
  const data: Record<string, string> = {};
  for (const [key, value] of pairs) {
    if (key in data) throw new Error(`${dir}: ${kind} ${generator.name} has ${key} twice`);
    data[key] = kind === 'Secret' ? kustomizeBase64(value) : value;
  }
  const type = kind === 'Secret' ? generator.type ?? 'Opaque' : undefined;
  const name = `${generator.name}-${kustomizeHash({ kind, data, ...(type ? { type } : {}) })}`;
  acc.generatedNames.set(`${kind}/${generator.name}`, name);
  return { apiVersion: 'v1', kind, metadata: { name }, ...(type ? { type } : {}), data };
}

// ---- pod specs ------------------------------------------------------------------------------

/** The pod specs inside an object: a Pod's, a workload's template, a CronJob's job template. */
function podSpecs(object: KubernetesObject): JsonObject[] {
  const spec = object.spec as JsonObject | undefined;
  if (!spec) return [];
  if (object.kind === 'Pod') return [spec];
  const template = (spec.template as JsonObject | undefined)?.spec;
  const jobTemplate = (((spec.jobTemplate as JsonObject | undefined)?.spec as JsonObject | undefined)?.template as JsonObject | undefined)?.spec;
  return [template, jobTemplate].filter((candidate): candidate is JsonObject => isObject(candidate));
}

function containersOf(pod: JsonObject): JsonObject[] {
  return ['initContainers', 'containers', 'ephemeralContainers'].flatMap((field) => (Array.isArray(pod[field]) ? (pod[field] as JsonObject[]) : []));
}

function fixGeneratedNameReferences(acc: Accumulation): void {
  const rename = (kind: 'ConfigMap' | 'Secret', holder: JsonObject | undefined, field: string) => {
    const name = holder?.[field];
    if (typeof name !== 'string') return;
    const generated = acc.generatedNames.get(`${kind}/${name}`);
    if (generated) holder![field] = generated;
  };
  for (const object of acc.objects) {
    for (const pod of podSpecs(object)) {
      for (const container of containersOf(pod)) {
        for (const source of (container.envFrom as JsonObject[] | undefined) ?? []) {
          rename('ConfigMap', source.configMapRef as JsonObject | undefined, 'name');
          rename('Secret', source.secretRef as JsonObject | undefined, 'name');
        }
        for (const variable of (container.env as JsonObject[] | undefined) ?? []) {
          const from = variable.valueFrom as JsonObject | undefined;
          rename('ConfigMap', from?.configMapKeyRef as JsonObject | undefined, 'name');
          rename('Secret', from?.secretKeyRef as JsonObject | undefined, 'name');
        }
      }
      for (const volume of (pod.volumes as JsonObject[] | undefined) ?? []) {
        rename('ConfigMap', volume.configMap as JsonObject | undefined, 'name');
        rename('Secret', volume.secret as JsonObject | undefined, 'secretName');
        for (const source of ((volume.projected as JsonObject | undefined)?.sources as JsonObject[] | undefined) ?? []) {
          rename('ConfigMap', source.configMap as JsonObject | undefined, 'name');
          rename('Secret', source.secret as JsonObject | undefined, 'name');
        }
      }
    }
  }
}

// ---- patches --------------------------------------------------------------------------------

/** List fields merged item by item (by this key) in a strategic merge; any other list is replaced. */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name', initContainers: 'name', ephemeralContainers: 'name', volumes: 'name', env: 'name',
  volumeMounts: 'mountPath', imagePullSecrets: 'name', hostAliases: 'ip',
};

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Strategic merge of `patch` into `target` (in place), for the cases above; `$patch` directives are refused. */
export function strategicMerge(target: JsonObject, patch: JsonObject, where = ''): void {
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) throw new UnsupportedKustomization(`${where}: directive ${key} not supported by this renderer`);
    if (value === null) {
      delete target[key];
    } else if (isObject(value) && isObject(target[key])) {
      strategicMerge(target[key] as JsonObject, value, `${where}.${key}`);
    } else if (Array.isArray(value) && Array.isArray(target[key]) && MERGE_KEYS[key]) {
      // As kustomize orders them: the patch's items first (merged into their originals), then the
      // original items the patch does not name.
      const mergeKey = MERGE_KEYS[key]!;
      const list = target[key] as Json[];
      const merged: Json[] = value.map((item) => {
        if (!isObject(item) || item[mergeKey] === undefined) throw new UnsupportedKustomization(`${where}.${key}: every item needs ${mergeKey}`);
        const existing = list.find((candidate) => isObject(candidate) && candidate[mergeKey] === item[mergeKey]);
        if (!isObject(existing)) return structuredClone(item);
        strategicMerge(existing, item, `${where}.${key}[${String(item[mergeKey])}]`);
        return existing;
      });
      target[key] = [...merged, ...list.filter((candidate) => !merged.includes(candidate))];
    } else {
      target[key] = structuredClone(value);
    }
  }
}

function matchesLabelSelector(object: KubernetesObject, selector: string): boolean {
  return selector.split(',').every((term) => {
    const [key, value] = term.split('=').map((part) => part.trim());
    return object.metadata.labels?.[key!] === value;
  });
}

function applyPatch(objects: KubernetesObject[], patch: Patch, dir: string): void {
  const unsupported = Object.keys(patch).filter((key) => !['path', 'patch', 'target'].includes(key));
  const targetFields = Object.keys(patch.target ?? {}).filter((key) => !['kind', 'name', 'labelSelector'].includes(key));
  if (unsupported.length + targetFields.length > 0) throw new UnsupportedKustomization(`${dir}: patch field(s) ${[...unsupported, ...targetFields].join(', ')} not supported by this renderer`);
  const text = patch.path ? readFileSync(path.resolve(dir, patch.path), 'utf8') : patch.patch;
  if (!text) throw new Error(`${dir}: a patch needs path or patch`);
  const documents = parseYaml(text, patch.path ?? dir);
  if (documents.length !== 1 || !isObject(documents[0])) throw new UnsupportedKustomization(`${dir}: only strategic-merge patches (one object each) are supported by this renderer`);
  const body = documents[0] as KubernetesObject;
  const { apiVersion: _apiVersion, kind: _kind, metadata, ...rest } = body;
  const target = patch.target;
  const matches = target
    ? objects.filter((object) => (!target.kind || object.kind === target.kind) && (!target.name || object.metadata.name === target.name)
      && (!target.labelSelector || matchesLabelSelector(object, target.labelSelector)))
    : objects.filter((object) => object.kind === body.kind && object.metadata.name === body.metadata?.name);
  if (matches.length === 0) throw new Error(`${dir}: patch ${patch.path ?? ''} matches no object`);
  for (const object of matches) {
    const { name: _name, ...metadataPatch } = (metadata ?? {}) as JsonObject;
    strategicMerge(object as unknown as JsonObject, { ...rest, ...(Object.keys(metadataPatch).length > 0 ? { metadata: metadataPatch } : {}) } as JsonObject, keyOf(object));
  }
}

// ---- labels and images ---------------------------------------------------------------------------

const TEMPLATE_KINDS = new Set(['Deployment', 'ReplicaSet', 'DaemonSet', 'StatefulSet', 'Job', 'ReplicationController']);

function applyLabels(objects: KubernetesObject[], labels: LabelSet, dir: string): void {
  const unsupported = Object.keys(labels).filter((key) => !['pairs', 'includeTemplates', 'includeSelectors'].includes(key));
  if (unsupported.length > 0 || labels.includeSelectors) throw new UnsupportedKustomization(`${dir}: labels ${labels.includeSelectors ? 'includeSelectors' : unsupported.join(', ')} not supported by this renderer`);
  const add = (holder: JsonObject) => {
    const metadata = (holder.metadata ??= {}) as JsonObject;
    metadata.labels = { ...((metadata.labels as JsonObject | undefined) ?? {}), ...labels.pairs };
  };
  for (const object of objects) {
    add(object as unknown as JsonObject);
    if (!labels.includeTemplates) continue;
    const spec = object.spec as JsonObject | undefined;
    if (TEMPLATE_KINDS.has(object.kind) && spec) add((spec.template ??= {}) as JsonObject);
    if (object.kind === 'CronJob' && spec) {
      const jobTemplate = (spec.jobTemplate ??= {}) as JsonObject;
      add(jobTemplate);
      const jobSpec = (jobTemplate.spec ??= {}) as JsonObject;
      add((jobSpec.template ??= {}) as JsonObject);
    }
  }
}

/** `registry:5000/commerce:1.2@sha256:…` → name `registry:5000/commerce`, tag `1.2`, digest `sha256:…`. */
function splitImage(image: string): { name: string; tag?: string; digest?: string } {
  const [withoutDigest, digest] = image.split('@') as [string, string | undefined];
  const slash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  const hasTag = colon > slash;
  return {
    name: hasTag ? withoutDigest.slice(0, colon) : withoutDigest,
    ...(hasTag ? { tag: withoutDigest.slice(colon + 1) } : {}),
    ...(digest ? { digest } : {}),
  };
}

function applyImage(objects: KubernetesObject[], image: Image, dir: string): void {
  const unsupported = Object.keys(image).filter((key) => !['name', 'newName', 'newTag', 'digest'].includes(key));
  if (unsupported.length > 0) throw new UnsupportedKustomization(`${dir}: images field(s) ${unsupported.join(', ')} not supported by this renderer`);
  for (const object of objects) {
    for (const pod of podSpecs(object)) {
      for (const container of containersOf(pod)) {
        if (typeof container.image !== 'string') continue;
        const current = splitImage(container.image);
        if (current.name !== image.name) continue;
        const name = image.newName ?? current.name;
        const suffix = image.digest ? `@${image.digest}` : image.newTag ? `:${image.newTag}` : `${current.tag ? `:${current.tag}` : ''}${current.digest ? `@${current.digest}` : ''}`;
        container.image = `${name}${suffix}`;
      }
    }
  }
}
