/**
 * nginx as the reference reverse proxy of `npm run bench:proxy`: a generated configuration
 * in the run's temp dir (pid, logs and temp files there too), one worker, a keep-alive
 * upstream pool, the service token added to every request. Runs in the foreground as the
 * current user, whether that is root or not.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { startChild, type BenchChild } from './proxy-processes.js';

const CANDIDATES = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx', '/usr/bin/nginx', '/opt/homebrew/bin/nginx', '/usr/local/bin/nginx'];

/** Where nginx is (NGINX_BIN, else the usual places), or undefined when it is not installed. */
export function findNginx(): string | undefined {
  const configured = process.env.NGINX_BIN;
  if (configured) return existsSync(configured) ? configured : undefined;
  return CANDIDATES.find((path) => existsSync(path));
}

/** `user` matters only when the master runs as root: then the workers stay root too, so they can use the temp dir. */
function userDirective(): string {
  const me = userInfo();
  if (me.uid !== 0) return '';
  let group = me.username;
  try {
    const line = readFileSync('/etc/group', 'utf8').split('\n').find((entry) => entry.split(':')[2] === String(me.gid));
    if (line) group = line.split(':')[0]!;
  } catch { /* keep the user's name */ }
  return `user ${me.username} ${group};\n`;
}

export interface NginxSettings {
  dir: string;
  listenPort: number;
  upstreamPort: number;
  serviceToken: string;
  /** idle keep-alive connections kept per worker, as many as the Node proxies' pools hold */
  keepalive: number;
}

export function nginxConfig(settings: NginxSettings): string {
  const { dir } = settings;
  return `${userDirective()}worker_processes 1;
daemon off;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${join(dir, 'client_body')};
  proxy_temp_path ${join(dir, 'proxy_temp')};
  fastcgi_temp_path ${join(dir, 'fastcgi_temp')};
  uwsgi_temp_path ${join(dir, 'uwsgi_temp')};
  scgi_temp_path ${join(dir, 'scgi_temp')};
  # like Node's servers and undici pools: a keep-alive connection is not closed after 1000 requests
  keepalive_requests 1000000;
  upstream product_service {
    server 127.0.0.1:${settings.upstreamPort};
    keepalive ${settings.keepalive};
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:${settings.listenPort};
    location / {
      proxy_pass http://product_service;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header x-internal-token "${settings.serviceToken}";
    }
  }
}
`;
}

/** Writes the configuration into `settings.dir/nginx` and starts nginx in the foreground. */
export async function startNginx(binary: string, settings: NginxSettings): Promise<BenchChild> {
  const dir = join(settings.dir, 'nginx');
  await mkdir(dir, { recursive: true });
  const config = join(dir, 'nginx.conf');
  await writeFile(config, nginxConfig({ ...settings, dir }));
  // -e: even errors before the configuration is read go to the temp dir, not /var/log/nginx
  return startChild('nginx', binary, ['-p', `${dir}/`, '-e', join(dir, 'error.log'), '-c', config], process.env);
}

export function nginxErrors(settings: Pick<NginxSettings, 'dir'>): string {
  try {
    return readFileSync(join(settings.dir, 'nginx', 'error.log'), 'utf8');
  } catch {
    return '';
  }
}
