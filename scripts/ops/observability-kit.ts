/**
 * Reads the operations kit as its users' tools would: the Grafana dashboards' queries, the
 * Prometheus scrape jobs, and the processes docker-compose.yml runs from this repository's
 * image, so tests can hold them to each other and to what the app exposes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/config.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const KIT = {
  root: ROOT,
  compose: `${ROOT}docker-compose.yml`,
  prometheus: `${ROOT}deploy/observability/prometheus/prometheus.yml`,
  dashboards: `${ROOT}deploy/observability/grafana/dashboards/`,
  datasources: `${ROOT}deploy/observability/grafana/provisioning/datasources/datasources.yml`,
};

// `merge`: compose files use `<<: *anchor`, which YAML 1.2 leaves to an option.
const yamlFile = (path: string): unknown => parse(readFileSync(path, 'utf8'), { merge: true });

interface Panel {
  title?: string;
  datasource?: { uid?: string };
  targets?: { expr?: string; datasource?: { uid?: string } }[];
  panels?: Panel[];
}
interface Dashboard {
  title: string;
  panels?: Panel[];
  templating?: { list?: { name: string; datasource?: { uid?: string }; query?: string | { query?: string } }[] };
}

export interface DashboardQuery {
  /** where it is: `<dashboard> / <panel or variable>` */
  where: string;
  expr: string;
  datasourceUid: string | undefined;
}

/** Every dashboard JSON the provisioning loads. */
export function dashboards(): Dashboard[] {
  return readdirSync(KIT.dashboards).filter((file) => file.endsWith('.json'))
    .map((file) => JSON.parse(readFileSync(`${KIT.dashboards}${file}`, 'utf8')) as Dashboard);
}

/**
 * Every PromQL query of every dashboard: panel targets (rows' panels too) and query variables.
 * A variable's `label_values(metric, label)` is Grafana's, not PromQL: it is read as the
 * PromQL that needs the same series, `group by (label) (metric)`.
 */
export function dashboardQueries(): DashboardQuery[] {
  const queries: DashboardQuery[] = [];
  const visit = (dashboard: Dashboard, panels: readonly Panel[] = []) => {
    for (const panel of panels) {
      for (const target of panel.targets ?? []) {
        if (target.expr) queries.push({ where: `${dashboard.title} / ${panel.title}`, expr: target.expr, datasourceUid: target.datasource?.uid ?? panel.datasource?.uid });
      }
      visit(dashboard, panel.panels);
    }
  };
  for (const dashboard of dashboards()) {
    visit(dashboard, dashboard.panels);
    for (const variable of dashboard.templating?.list ?? []) {
      const query = typeof variable.query === 'string' ? variable.query : variable.query?.query;
      if (!query) continue;
      const expr = query.replace(/^label_values\(\s*(.+?)\s*,\s*(\w+)\s*\)$/, 'group by ($2) ($1)');
      queries.push({ where: `${dashboard.title} / $${variable.name}`, expr, datasourceUid: variable.datasource?.uid });
    }
  }
  return queries;
}

/** The uids of the data sources Grafana is provisioned with. */
export function datasourceUids(): string[] {
  const file = yamlFile(KIT.datasources) as { datasources: { uid: string }[] };
  return file.datasources.map((source) => source.uid);
}

export interface ScrapeTarget {
  job: string;
  host: string;
  port: number;
}

/** The hosts and ports Prometheus looks up (DNS service discovery) and scrapes, per job. */
export function scrapeTargets(): ScrapeTarget[] {
  const config = yamlFile(KIT.prometheus) as {
    scrape_configs: { job_name: string; metrics_path?: string; dns_sd_configs?: { names: string[]; port: number }[]; static_configs?: { targets: string[] }[] }[];
  };
  return config.scrape_configs.flatMap((job) => [
    ...(job.dns_sd_configs ?? []).flatMap((sd) => sd.names.map((host) => ({ job: job.job_name, host, port: sd.port }))),
    ...(job.static_configs ?? []).flatMap((sc) => sc.targets.map((target) => {
      const [host, port] = target.split(':');
      return { job: job.job_name, host: host!, port: Number(port) };
    })),
  ]);
}

interface ComposeService {
  build?: unknown;
  profiles?: string[];
  environment?: Record<string, string>;
  volumes?: (string | { source?: string })[];
}

/** The compose file's services, by name. */
export function composeServices(): Record<string, ComposeService> {
  return (yamlFile(KIT.compose) as { services: Record<string, ComposeService> }).services;
}

/**
 * The processes compose runs from this repository's image and the port each listens on,
 * worked out as the app does: an extracted service takes SERVICE_PORT, the monolith PORT,
 * else the configuration's default.
 */
export function appProcesses(): { service: string; port: number }[] {
  return Object.entries(composeServices()).filter(([, service]) => service.build !== undefined).map(([name, service]) => {
    const env = service.environment ?? {};
    return { service: name, port: loadConfig({ PORT: env.SERVICE_PORT ?? env.PORT }).PORT };
  });
}

/** The files of this repository that compose bind-mounts into the ops containers (`./…` sources). */
export function boundFiles(): { service: string; source: string }[] {
  return Object.entries(composeServices()).flatMap(([name, service]) => (service.volumes ?? [])
    .map((volume) => (typeof volume === 'string' ? volume.split(':')[0]! : volume.source ?? ''))
    .filter((source) => source.startsWith('./'))
    .map((source) => ({ service: name, source })));
}
