/**
 * deploy/kubernetes/: every overlay rendered (by our renderer, and checked against
 * `kubectl kustomize` where kubectl exists), every object validated against its schema
 * (kubernetes-models, @kubernetes-models/istio), and the facts the rollout depends on.
 * No cluster, no services: a copy of the folder with the example secret is rendered.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import * as core from 'kubernetes-models/v1';
import * as apps from 'kubernetes-models/apps/v1';
import * as batch from 'kubernetes-models/batch/v1';
import * as policy from 'kubernetes-models/policy/v1';
import * as autoscaling from 'kubernetes-models/autoscaling/v2';
import * as istioNetworking from '@kubernetes-models/istio/networking.istio.io/v1beta1';
import * as istioSecurity from '@kubernetes-models/istio/security.istio.io/v1beta1';
import { parseAllDocuments } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, DEV_SECRETS } from '../../src/config/config.js';
import { kustomizeBase64, kustomizeHash, parseEnvFile, renderKustomization, UnsupportedKustomization, type KubernetesObject } from './kustomize.js';
import { secretEnvText } from './secret-env.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEPLOY = path.join(ROOT, 'deploy/kubernetes');
const SERVICE_PORTS: Record<string, number> = { user: 3101, product: 3102, payment: 3103, order: 3104, notification: 3105 };
const MODULES = Object.keys(SERVICE_PORTS);
const STAGES = ['monolith', 'order-extracted', 'all-extracted', 'istio'] as const;
type Stage = (typeof STAGES)[number];
/** What each stage extracts: the route of these modules is remote to their Service. */
const EXTRACTED: Record<Stage, string[]> = { monolith: [], 'order-extracted': ['order'], 'all-extracted': MODULES, istio: ['order'] };

// The overlays are rendered from a copy holding the example secret, so a real base/secret.env
// in this checkout is never read, and a fresh clone (which has none) renders too.
const work = mkdtempSync(path.join(os.tmpdir(), 'k8s-render-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
cpSync(DEPLOY, path.join(work, 'kubernetes'), { recursive: true, filter: (source) => path.basename(source) !== 'secret.env' });
const EXAMPLE_SECRET = readFileSync(path.join(DEPLOY, 'base/secret.example'), 'utf8');
writeFileSync(path.join(work, 'kubernetes/base/secret.env'), EXAMPLE_SECRET);
const overlayDir = (stage: string) => path.join(work, 'kubernetes/overlays', stage);

const kubectl = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;
const kubectlKustomize = (dir: string): KubernetesObject[] =>
  parseAllDocuments(execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' })).map((doc) => doc.toJS() as KubernetesObject);

/** Our rendering of `dir` is kubectl's, object for object (the order of the output aside). */
function expectAsKubectl(objects: KubernetesObject[], dir: string): void {
  const byKey = (list: KubernetesObject[]) => Object.fromEntries(list.map((o) => [`${o.kind}/${o.metadata.name}`, o]));
  expect(JSON.parse(JSON.stringify(byKey(objects)))).toEqual(byKey(kubectlKustomize(dir)));
}

const rendered = new Map<Stage, KubernetesObject[]>(STAGES.map((stage) => [stage, renderKustomization(overlayDir(stage))]));
const objectsOf = (stage: Stage) => rendered.get(stage)!;
const ofKind = <T = KubernetesObject>(stage: Stage, kind: string) => objectsOf(stage).filter((o) => o.kind === kind) as T[];

// ---- schema validation ----------------------------------------------------------------------

type ModelClass = { apiVersion: string; kind: string; new (data: object): { validate(): void } };
const MODELS = new Map<string, ModelClass>();
for (const namespace of [core, apps, batch, policy, autoscaling, istioNetworking, istioSecurity] as Record<string, unknown>[]) {
  for (const value of Object.values(namespace)) {
    const model = value as Partial<ModelClass>;
    if (typeof value === 'function' && typeof model.apiVersion === 'string' && typeof model.kind === 'string') MODELS.set(`${model.apiVersion}/${model.kind}`, value as ModelClass);
  }
}
function validate(object: KubernetesObject): void {
  const Model = MODELS.get(`${object.apiVersion}/${object.kind}`);
  if (!Model) throw new Error(`no schema for ${object.apiVersion} ${object.kind} (${object.metadata.name}): add its model to the test`);
  // kustomize wraps long base64 values at 70 characters, which the API server's decoder accepts
  // and the schema's "byte" format does not: validate the value, not the wrapping.
  const data = object.kind === 'Secret' && object.data
    ? { data: Object.fromEntries(Object.entries(object.data as Record<string, string>).map(([k, v]) => [k, v.replace(/\n/g, '')])) }
    : {};
  new Model({ ...object, ...data }).validate();
}

// ---- helpers over pod specs ------------------------------------------------------------------

interface Container {
  name: string; image: string; command?: string[]; args?: string[];
  env?: { name: string; value?: string }[]; envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  ports?: { name?: string; containerPort: number }[];
  readinessProbe?: Probe; livenessProbe?: Probe; startupProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; runAsNonRoot?: boolean; capabilities?: { drop?: string[] } };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface Probe { httpGet?: { path: string; port: string | number } }
interface PodTemplate {
  metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
  spec: { containers: Container[]; initContainers?: Container[]; securityContext?: { runAsNonRoot?: boolean; runAsUser?: number }; volumes?: { name: string; emptyDir?: object }[]; serviceAccountName?: string };
}
interface Workload extends KubernetesObject { spec: { selector?: { matchLabels: Record<string, string> }; template: PodTemplate } }

const containersOf = (pod: PodTemplate) => [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
const envOf = (container: Container) => Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]));
const matches = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);
const appContainer = (deployment: Workload) => deployment.spec.template.spec.containers.find((c) => c.name === 'app')!;
/** The script a container runs: the argument after node's options (`node --import x dist/y.js` → dist/y.js). */
function scriptOf(container: Container): string | undefined {
  const argv = [...(container.command ?? []), ...(container.args ?? [])];
  if (argv[0] !== 'node') return undefined;
  for (let i = 1; i < argv.length; i++) {
    if (argv[i] === '--import') i++;
    else if (!argv[i]!.startsWith('-')) return argv[i];
  }
  return undefined;
}
/** `node dist/scripts/route.js <module> <mode> --target <url|none>` lines of the routes Job. */
function routesSetBy(job: Workload): Map<string, { mode: string; target: string }> {
  const script = job.spec.template.spec.containers[0]!.command!.at(-1)!;
  const routes = new Map<string, { mode: string; target: string }>();
  for (const line of script.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const match = /^node dist\/scripts\/route\.js (\S+) (local|remote|canary|shadow)(?: --target (\S+))?$/.exec(line);
    if (!match) throw new Error(`unexpected line in the routes Job: ${line}`);
    routes.set(match[1]!, { mode: match[2]!, target: match[3] ?? '' });
  }
  return routes;
}

// ---- tests ----------------------------------------------------------------------------------------

describe('the renderer', () => {
  it('hashes, encodes and reads env files as kustomize 5 does', () => {
    // Values from kubectl kustomize (kustomize v5.5.0): literals a=b and a=<&>.
    expect(kustomizeHash({ kind: 'ConfigMap', data: { a: 'b' } })).toBe('4h2mbtbbt6');
    expect(kustomizeHash({ kind: 'ConfigMap', data: { a: '<&>' } })).toBe('m9gb99d79d');
    expect(kustomizeBase64('x'.repeat(60))).toBe(`${Buffer.from('x'.repeat(60)).toString('base64').slice(0, 70)}\n${Buffer.from('x'.repeat(60)).toString('base64').slice(70)}\n`);
    expect(kustomizeBase64('short')).toBe('c2hvcnQ=');
    expect(parseEnvFile('# comment\n\n  A=1\nB= two words \nC=\n', 'f')).toEqual([['A', '1'], ['B', ' two words '], ['C', '']]);
  });

  it('refuses a kustomization field it does not implement, rather than rendering it wrongly', () => {
    const dir = path.join(work, 'unsupported');
    cpSync(path.join(work, 'kubernetes'), dir, { recursive: true });
    writeFileSync(path.join(dir, 'overlays/monolith/kustomization.yaml'), 'resources: [../../base]\nnamePrefix: staging-\n');
    expect(() => renderKustomization(path.join(dir, 'overlays/monolith'))).toThrow(UnsupportedKustomization);
  });

  it('merges a strategic-merge patch file as kustomize does: containers and env by name, the rest replaced', () => {
    const dir = path.join(work, 'kubernetes/overlays/patched');
    cpSync(path.join(work, 'kubernetes/overlays/monolith'), dir, { recursive: true });
    writeFileSync(path.join(dir, 'kustomization.yaml'), 'resources:\n  - ../monolith\npatches:\n  - path: bigger.yaml\n');
    writeFileSync(path.join(dir, 'bigger.yaml'), [
      'apiVersion: apps/v1', 'kind: Deployment', 'metadata:', '  name: monolith', '  annotations:', '    team: shop', 'spec:', '  template:', '    spec:', '      containers:',
      '        - name: app', '          env:', '            - name: LOG_LEVEL', '              value: debug', '            - name: MODULES', '              value: user,order',
      '          resources:', '            limits:', '              memory: 1Gi', '          lifecycle: null', '',
    ].join('\n'));
    const objects = renderKustomization(dir);
    const monolith = objects.find((o) => o.kind === 'Deployment') as Workload;
    const app = appContainer(monolith);
    expect(app.env).toEqual([
      { name: 'LOG_LEVEL', value: 'debug' }, { name: 'MODULES', value: 'user,order' }, { name: 'PORT', value: '3000' }, { name: 'ADVERTISED_URL', value: 'http://monolith:3000' },
    ]);
    expect(app.resources).toEqual({ requests: { cpu: '250m', memory: '384Mi' }, limits: { cpu: '1000m', memory: '1Gi' } });
    expect(app).not.toHaveProperty('lifecycle');
    expect(monolith.metadata.annotations).toEqual({ team: 'shop' });
    expect(monolith.spec.template.spec.initContainers).toHaveLength(1);
    if (kubectl) expectAsKubectl(objects, dir);
  });

  it.runIf(kubectl)('renders every overlay exactly as kubectl kustomize does', () => {
    const key = (o: KubernetesObject) => `${o.kind}/${o.metadata.name}`;
    for (const stage of STAGES) {
      const ours = new Map(objectsOf(stage).map((o) => [key(o), JSON.parse(JSON.stringify(o)) as unknown]));
      const theirs = new Map(kubectlKustomize(overlayDir(stage)).map((o) => [key(o), o as unknown]));
      expect([...ours.keys()].sort(), stage).toEqual([...theirs.keys()].sort());
      for (const [name, object] of theirs) expect(isDeepStrictEqual(ours.get(name), object), `${stage}: ${name} differs from kubectl kustomize`).toBe(true);
    }
  });
});

describe.each(STAGES)('overlay %s', (stage) => {
  const objects = objectsOf(stage);
  const deployments = ofKind<Workload>(stage, 'Deployment');
  const services = ofKind<KubernetesObject & { spec: { selector: Record<string, string>; ports: { name: string; port: number; targetPort: string | number }[] } }>(stage, 'Service');
  const pdbs = ofKind<KubernetesObject & { spec: { selector: { matchLabels: Record<string, string> }; maxUnavailable?: number; minAvailable?: number } }>(stage, 'PodDisruptionBudget');
  const hpas = ofKind<KubernetesObject & { spec: { scaleTargetRef: { apiVersion: string; kind: string; name: string }; minReplicas: number; maxReplicas: number; metrics: { type: string; resource?: { name: string; target: { type: string } } }[] } }>(stage, 'HorizontalPodAutoscaler');
  const jobs = ofKind<Workload>(stage, 'Job');

  it('validates every object against its schema', () => {
    expect(objects.length).toBeGreaterThan(0);
    for (const object of objects) {
      expect(() => validate(object), `${object.kind}/${object.metadata.name}`).not.toThrow();
      expect(object.apiVersion, `${object.kind} ${object.metadata.name}: autoscaling/v2 for HPAs`).not.toMatch(/^autoscaling\/v(1|2beta)/);
    }
  });

  it('runs the Deployments the stage calls for, each from its own entry point', () => {
    const expected = ['monolith', ...EXTRACTED[stage].map((m) => `${m}-service`), ...(stage === 'istio' ? ['order-service-canary'] : [])];
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(expected.sort());
    for (const deployment of deployments) {
      const app = appContainer(deployment);
      const name = deployment.spec.template.metadata.labels['app.kubernetes.io/name']!;
      if (name === 'monolith') {
        expect(scriptOf(app)).toBe('dist/scripts/start.js');
        expect(envOf(app)).toMatchObject({ PORT: '3000', MODULES: 'all', ADVERTISED_URL: 'http://monolith:3000' });
      } else {
        const module = name.replace(/-service$/, '');
        const port = SERVICE_PORTS[module]!;
        expect(scriptOf(app), deployment.metadata.name).toBe(`dist/extracted/${module}-service/main.js`);
        expect(envOf(app), deployment.metadata.name).toMatchObject({ SERVICE_PORT: String(port), ADVERTISED_URL: `http://${module}-service:${port}` });
        expect(app.ports).toEqual([expect.objectContaining({ name: 'http', containerPort: port })]);
        // The service names itself and its module; a stray one here would be overridden anyway.
        expect(envOf(app)).not.toHaveProperty('MODULES');
      }
    }
  });

  it('gives every Deployment probes on its port, resources, a hardened pod, metrics annotations and the migrations gate', () => {
    for (const deployment of deployments) {
      const { template } = deployment.spec;
      const app = appContainer(deployment);
      const port = app.ports!.find((p) => p.name === 'http')!.containerPort;
      const probePort = (probe?: Probe) => (probe?.httpGet?.port === 'http' ? port : probe?.httpGet?.port);
      const where = deployment.metadata.name;
      expect(app.readinessProbe?.httpGet?.path, where).toBe('/readyz');
      expect(probePort(app.readinessProbe), where).toBe(port);
      expect(app.livenessProbe?.httpGet?.path, where).toBe('/healthz');
      expect(probePort(app.livenessProbe), where).toBe(port);
      expect(app.startupProbe?.httpGet?.path, where).toBe('/healthz');
      expect(probePort(app.startupProbe), where).toBe(port);
      expect(template.metadata.annotations, where).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(port), 'prometheus.io/path': '/metrics' });
      expect(matches(deployment.spec.selector!.matchLabels, template.metadata.labels), `${where}: selector matches its pods`).toBe(true);
      expect(template.spec.securityContext, where).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
      expect(template.spec.serviceAccountName).toBe('commerce');
      const gate = template.spec.initContainers?.find((c) => c.name === 'wait-for-migrations');
      expect(gate?.command, `${where}: waits for the migration Job`).toEqual(['node', 'dist/scripts/deploy/wait-for.js', 'migrations']);
      for (const container of containersOf(template)) {
        expect(container.resources?.requests, `${where}/${container.name}`).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
        expect(container.resources?.limits, `${where}/${container.name}`).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
        expect(container.securityContext, `${where}/${container.name}`).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
        expect(container.volumeMounts, `${where}/${container.name}: a writable /tmp`).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
      }
      expect(template.spec.volumes).toContainEqual(expect.objectContaining({ name: 'tmp', emptyDir: expect.any(Object) }));
      // No two Deployments may claim each other's pods.
      for (const other of deployments.filter((d) => d !== deployment)) {
        expect(matches(deployment.spec.selector!.matchLabels, other.spec.template.metadata.labels), `${where} selects ${other.metadata.name}'s pods`).toBe(false);
      }
    }
  });

  it('gives every Deployment a PodDisruptionBudget, a CPU HorizontalPodAutoscaler and a Service', () => {
    for (const deployment of deployments) {
      const labels = deployment.spec.template.metadata.labels;
      const where = deployment.metadata.name;
      const budgets = pdbs.filter((pdb) => matches(pdb.spec.selector.matchLabels, labels));
      expect(budgets, `${where}: one PDB`).toHaveLength(1);
      expect(budgets[0]!.spec.maxUnavailable ?? budgets[0]!.spec.minAvailable).toBeDefined();
      for (const other of deployments.filter((d) => d !== deployment)) expect(matches(budgets[0]!.spec.selector.matchLabels, other.spec.template.metadata.labels)).toBe(false);
      const scalers = hpas.filter((hpa) => hpa.spec.scaleTargetRef.kind === 'Deployment' && hpa.spec.scaleTargetRef.name === where);
      expect(scalers, `${where}: one HPA`).toHaveLength(1);
      expect(scalers[0]!.apiVersion).toBe('autoscaling/v2');
      expect(scalers[0]!.spec.scaleTargetRef.apiVersion).toBe('apps/v1');
      expect(scalers[0]!.spec.metrics).toContainEqual({ type: 'Resource', resource: { name: 'cpu', target: expect.objectContaining({ type: 'Utilization' }) } });
      expect(scalers[0]!.spec.maxReplicas).toBeGreaterThanOrEqual(scalers[0]!.spec.minReplicas);
      // The HPA owns the count: a replicas field would reset it on every apply.
      expect(deployment.spec).not.toHaveProperty('replicas');
      const port = appContainer(deployment).ports!.find((p) => p.name === 'http')!.containerPort;
      const fronting = services.filter((service) => matches(service.spec.selector, labels));
      expect(fronting, `${where}: a Service`).toHaveLength(1);
      expect(fronting[0]!.metadata.name).toBe(labels['app.kubernetes.io/name']);
      expect(fronting[0]!.spec.ports).toContainEqual(expect.objectContaining({ name: 'http', port, targetPort: 'http' }));
    }
    for (const hpa of hpas) expect(deployments.map((d) => d.metadata.name), `${hpa.metadata.name} targets a Deployment of this stage`).toContain(hpa.spec.scaleTargetRef.name);
  });

  it('runs the migrations in a Job, and sets the routes of the stage once the services are up', () => {
    const migrate = jobs.find((job) => job.metadata.name === 'commerce-migrate')!;
    expect(migrate, 'migration Job').toBeDefined();
    expect(scriptOf(migrate.spec.template.spec.containers[0]!)).toBe('dist/scripts/migrate.js');
    expect(envOf(migrate.spec.template.spec.containers[0]!)).toMatchObject({ MODULES: 'all' });

    const routesJob = jobs.find((job) => job.metadata.name === 'commerce-routes')!;
    expect(routesJob, 'routes Job').toBeDefined();
    const routes = routesSetBy(routesJob);
    expect([...routes.keys()].sort()).toEqual([...MODULES].sort());
    for (const module of MODULES) {
      const extracted = EXTRACTED[stage].includes(module);
      expect(routes.get(module), `${stage}: route of ${module}`).toEqual(extracted
        ? { mode: 'remote', target: `http://${module}-service:${SERVICE_PORTS[module]}` }
        : { mode: 'local', target: 'none' });
    }
    // Each remote target is a Service of this overlay, on the port its pods listen on.
    for (const { mode, target } of routes.values()) {
      if (mode !== 'remote') continue;
      const url = new URL(target);
      expect(services.find((s) => s.metadata.name === url.hostname)?.spec.ports.map((p) => p.port), target).toContain(Number(url.port));
    }
    const initContainers = routesJob.spec.template.spec.initContainers ?? [];
    expect(initContainers.find((c) => c.name === 'wait-for-migrations')?.command).toEqual(['node', 'dist/scripts/deploy/wait-for.js', 'migrations']);
    const waitsFor = initContainers.find((c) => c.name === 'wait-for-services')?.command?.slice(3) ?? [];
    expect(waitsFor.sort()).toEqual(EXTRACTED[stage].map((m) => `${m}=http://${m}-service:${SERVICE_PORTS[m]}`).sort());

    for (const job of jobs) {
      expect(job.spec.template.metadata.labels['sidecar.istio.io/inject'], `${job.metadata.name}: a sidecar would keep the Job from completing`).toBe('false');
      for (const container of containersOf(job.spec.template)) {
        expect(container.resources?.limits, `${job.metadata.name}/${container.name}`).toBeDefined();
        expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
      }
    }
  });

  it('hands every process the ConfigMap and the Secret, from one image, and labels everything', () => {
    const configMaps = ofKind(stage, 'ConfigMap').map((o) => o.metadata.name);
    const secrets = ofKind(stage, 'Secret').map((o) => o.metadata.name);
    for (const workload of [...deployments, ...jobs]) {
      for (const container of containersOf(workload.spec.template)) {
        const where = `${workload.metadata.name}/${container.name}`;
        expect(container.envFrom?.map((source) => source.configMapRef?.name).filter(Boolean), where).toEqual([expect.stringMatching(/^commerce-config-[a-z0-9]{10}$/)]);
        expect(container.envFrom?.map((source) => source.secretRef?.name).filter(Boolean), where).toEqual([expect.stringMatching(/^commerce-secrets-[a-z0-9]{10}$/)]);
        for (const source of container.envFrom ?? []) {
          if (source.configMapRef) expect(configMaps, where).toContain(source.configMapRef.name);
          if (source.secretRef) expect(secrets, where).toContain(source.secretRef.name);
        }
        // One image for everything, so `images: [{name: commerce, …}]` retags all of it.
        expect(container.image, where).toMatch(/^commerce:/);
        const script = scriptOf(container);
        if (script) expect(existsSync(path.join(ROOT, script.replace(/^dist\//, '').replace(/\.js$/, '.ts'))), `${where}: ${script} is built from a source file`).toBe(true);
      }
    }
    for (const object of objects) expect(object.metadata.labels?.['app.kubernetes.io/part-of'], `${object.kind}/${object.metadata.name}`).toBe('commerce');
  });

  it('holds no real secret', () => {
    const secrets = ofKind<KubernetesObject & { data?: Record<string, string>; stringData?: unknown }>(stage, 'Secret');
    expect(secrets.map((s) => s.metadata.name)).toEqual([expect.stringMatching(/^commerce-secrets-/)]);
    for (const secret of secrets) {
      expect(secret.stringData).toBeUndefined();
      for (const [key, encoded] of Object.entries(secret.data ?? {})) {
        const value = Buffer.from(encoded, 'base64').toString('utf8');
        expect(value === '' || value.includes('CHANGE-ME'), `${key} looks real: ${value.slice(0, 6)}…`).toBe(true);
      }
    }
  });
});

describe('configuration and secrets', () => {
  const configEnv = Object.fromEntries(parseEnvFile(readFileSync(path.join(DEPLOY, 'base/config.env'), 'utf8'), 'config.env'));
  const exampleSecret = Object.fromEntries(parseEnvFile(EXAMPLE_SECRET, 'secret.example'));

  it('names only variables the application knows, in production mode, with none of the secrets', () => {
    const config = loadConfig({ ...configEnv, ...Object.fromEntries(parseEnvFile(secretEnvText('postgres://commerce:pw@postgres:5432/commerce'), 'generated')) });
    expect(config.NODE_ENV).toBe('production');
    for (const key of Object.keys(configEnv)) expect(config, `config.env: ${key} is not a setting of src/config/config.ts`).toHaveProperty(key);
    for (const key of [...Object.keys(DEV_SECRETS), 'DATABASE_URL']) expect(configEnv, `${key} belongs in the Secret`).not.toHaveProperty(key);
  });

  it('ships a secret template the application refuses until it is filled in', () => {
    expect(Object.keys(exampleSecret).sort()).toEqual([...Object.keys(DEV_SECRETS), 'DATABASE_URL'].sort());
    let error: Error | undefined;
    try {
      loadConfig({ ...configEnv, ...exampleSecret });
    } catch (caught) {
      error = caught as Error;
    }
    for (const name of Object.keys(DEV_SECRETS)) expect(error?.message, name).toContain(name);
    // Filled in by scripts/deploy/secret-env.ts, it starts.
    expect(() => loadConfig({ ...configEnv, ...Object.fromEntries(parseEnvFile(secretEnvText('postgres://commerce:pw@db:5432/commerce'), 'generated')) })).not.toThrow();
  });

  it('keeps the real secret file out of git, and no Secret object in the manifests', () => {
    expect(readFileSync(path.join(DEPLOY, 'base/.gitignore'), 'utf8').split('\n')).toContain('secret.env');
    if (spawnSync('git', ['--version'], { stdio: 'ignore' }).status === 0) {
      expect(spawnSync('git', ['check-ignore', '-q', 'deploy/kubernetes/base/secret.env'], { cwd: ROOT }).status).toBe(0);
    }
    const files = (dir: string): string[] => readdirSync(dir).flatMap((entry) => {
      const full = path.join(dir, entry);
      return statSync(full).isDirectory() ? files(full) : [full];
    });
    for (const file of files(DEPLOY).filter((f) => /\.ya?ml$/.test(f))) {
      for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
        const object = doc.toJS() as { kind?: string } | null;
        expect(object?.kind, `${path.relative(ROOT, file)}: Secrets come from secret.env only`).not.toBe('Secret');
      }
    }
  });
});

describe('overriding the image', () => {
  it('retags every container, init containers and Jobs included', () => {
    const dir = path.join(work, 'kubernetes/overlays/my-release');
    cpSync(path.join(work, 'kubernetes/overlays/order-extracted'), dir, { recursive: true });
    writeFileSync(path.join(dir, 'kustomization.yaml'), [
      'apiVersion: kustomize.config.k8s.io/v1beta1', 'kind: Kustomization', 'resources:', '  - ../order-extracted',
      'images:', '  - name: commerce', '    newName: registry.example.com/shop/commerce', '    newTag: "1.4.0"', '',
    ].join('\n'));
    const objects = renderKustomization(dir);
    const images = objects.flatMap((o) => ((o.spec as { template?: PodTemplate } | undefined)?.template ? containersOf((o.spec as { template: PodTemplate }).template) : [])).map((c) => c.image);
    expect(images.length).toBeGreaterThan(5);
    expect(new Set(images)).toEqual(new Set(['registry.example.com/shop/commerce:1.4.0']));
    if (kubectl) expectAsKubectl(objects, dir);
  });
});

describe('the Istio overlay', () => {
  const objects = objectsOf('istio');
  const find = <T>(kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name) as T;
  const deployments = ofKind<Workload>('istio', 'Deployment');

  it('requires mutual TLS for every service, and keeps PostgreSQL and Redis out of the sidecar', () => {
    const peer = find<{ spec: { selector: { matchLabels: Record<string, string> }; mtls: { mode: string } } }>('PeerAuthentication', 'commerce-services-strict');
    expect(peer.spec.mtls.mode).toBe('STRICT');
    for (const deployment of deployments) {
      const labels = deployment.spec.template.metadata.labels;
      expect(matches(peer.spec.selector.matchLabels, labels), deployment.metadata.name).toBe(labels['app.kubernetes.io/name'] !== 'monolith');
      expect(labels['sidecar.istio.io/inject']).toBe('true');
      expect(deployment.spec.template.metadata.annotations?.['traffic.sidecar.istio.io/excludeOutboundPorts']).toBe('5432,6379');
    }
  });

  it('splits order-service traffic by weight between the stable and canary pods, with outlier detection and no mesh retries', () => {
    const rule = find<{ spec: { host: string; trafficPolicy: { tls: { mode: string }; outlierDetection: Record<string, unknown> }; subsets: { name: string; labels: Record<string, string> }[] } }>('DestinationRule', 'order-service');
    expect(rule.spec.trafficPolicy.tls.mode).toBe('ISTIO_MUTUAL');
    expect(rule.spec.trafficPolicy.outlierDetection).toMatchObject({ consecutive5xxErrors: expect.any(Number), baseEjectionTime: expect.any(String) });
    const service = find<{ spec: { selector: Record<string, string> } }>('Service', 'order-service');
    for (const subset of rule.spec.subsets) {
      const pods = deployments.filter((d) => matches({ ...service.spec.selector, ...subset.labels }, d.spec.template.metadata.labels));
      expect(pods.map((d) => d.metadata.name), `subset ${subset.name}`).toEqual([subset.name === 'stable' ? 'order-service' : 'order-service-canary']);
    }
    const virtual = find<{ spec: { hosts: string[]; http: { route: { destination: { host: string; subset: string; port: { number: number } }; weight: number }[]; retries: { attempts: number } }[] } }>('VirtualService', 'order-service');
    expect(virtual.spec.hosts).toEqual(['order-service']);
    const [route] = virtual.spec.http;
    expect(route!.route.reduce((sum, r) => sum + r.weight, 0)).toBe(100);
    expect(route!.route.map((r) => r.destination.subset).sort()).toEqual(['canary', 'stable']);
    for (const r of route!.route) expect(r.destination).toMatchObject({ host: 'order-service', port: { number: 3104 } });
    expect(route!.retries.attempts).toBe(0);
    expect(find<{ spec: { trafficPolicy: { outlierDetection: unknown } } }>('DestinationRule', 'monolith').spec.trafficPolicy.outlierDetection).toBeDefined();
  });
});

it('schema validation does catch a wrong manifest', () => {
  const deployment = structuredClone(objectsOf('monolith').find((o) => o.kind === 'Deployment')!) as Workload;
  (appContainer(deployment).ports![0] as { containerPort: unknown }).containerPort = 'http';
  expect(() => validate(deployment)).toThrow(/containerPort/);
  expect(() => validate({ apiVersion: 'example.com/v1', kind: 'Unknown', metadata: { name: 'x' } })).toThrow(/no schema/);
});
