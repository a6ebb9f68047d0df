import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { appProcesses, boundFiles, composeServices, dashboardQueries, datasourceUids, KIT, scrapeTargets } from './observability-kit.js';
import { withoutGrafanaVariables } from './promql-selectors.js';

const run = promisify(execFile);
// Prometheus' own checker, where installed (Debian's `prometheus` package has it); not needed otherwise.
const promtool = spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;
const dirs: string[] = [];
afterAll(async () => { await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))); });

it('scrapes every process compose runs from our image, by its service name, at the port it listens on', () => {
  const scraped = scrapeTargets().map(({ host, port }) => ({ service: host, port }));
  expect(scraped.sort((a, b) => a.service.localeCompare(b.service))).toEqual(appProcesses().sort((a, b) => a.service.localeCompare(b.service)));
  // A job named like its service is how an operator finds a target on Prometheus' targets page.
  for (const target of scrapeTargets()) expect(target.job).toBe(target.host);
});

it('gives every dashboard query a provisioned data source, and mounts only files that exist', () => {
  const uids = datasourceUids();
  expect(dashboardQueries().length).toBeGreaterThan(10);
  expect(dashboardQueries().filter((query) => !uids.includes(query.datasourceUid ?? '')).map((query) => query.where)).toEqual([]);
  const mounts = boundFiles();
  expect(mounts.map((mount) => mount.service)).toEqual(expect.arrayContaining(['prometheus', 'grafana']));
  expect(mounts.filter((mount) => !existsSync(path.join(KIT.root, mount.source))).map((mount) => mount.source)).toEqual([]);
});

it('sends the traces of every app process to the Jaeger that starts with it', () => {
  const services = composeServices();
  const jaegerProfiles = services.jaeger?.profiles ?? [];
  for (const { service } of appProcesses()) {
    // With nothing set, compose hands it the default; an empty value in .env turns tracing off.
    expect(services[service]!.environment?.OTEL_EXPORTER_OTLP_ENDPOINT, service).toBe('${OTEL_EXPORTER_OTLP_ENDPOINT-http://jaeger:4318}');
    // The app's profile starts Jaeger too, so a process never exports to a host that is not there.
    expect(services[service]!.profiles?.some((profile) => jaegerProfiles.includes(profile)), service).toBe(true);
  }
});

it.runIf(promtool)('passes promtool: the Prometheus configuration, and every dashboard query as PromQL', async () => {
  await run('promtool', ['check', 'config', KIT.prometheus]);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dashboard-promql-'));
  dirs.push(dir);
  // Recording rules are what promtool parses PromQL in; each query becomes one.
  const rules = dashboardQueries().map((query, index) => `      - record: dashboard:query_${index}\n        expr: ${JSON.stringify(withoutGrafanaVariables(query.expr))}`);
  await writeFile(path.join(dir, 'rules.yml'), `groups:\n  - name: dashboards\n    rules:\n${rules.join('\n')}\n`);
  const { stdout } = await run('promtool', ['check', 'rules', path.join(dir, 'rules.yml')]);
  expect(stdout).toContain(`SUCCESS: ${rules.length} rules found`);
});
