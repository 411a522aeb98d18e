// Config files for the native processes: the upstream nginx, the proxy nginx and HAProxy.
import { join } from 'node:path';
import { SMALL_JSON } from './scenarios.mjs';

// nginx closes a keep-alive connection after 1000 requests by default (clients and upstream
// connections alike); every contender here keeps its connections, so nginx should too.
const KEEPALIVE_REQUESTS = 10_000_000;

function nginxMain(dir, name, workers) {
  return `daemon off;
master_process on;
worker_processes ${workers};
pid ${join(dir, `${name}.pid`)};
error_log ${join(dir, `${name}.error.log`)} warn;
events { worker_connections 8192; }
`;
}

function nginxHttpCommon(dir, name) {
  return `  access_log off;
  keepalive_requests ${KEEPALIVE_REQUESTS};
  keepalive_timeout 120s;
  client_body_temp_path ${join(dir, `${name}-body`)};
  proxy_temp_path ${join(dir, `${name}-proxy`)};`;
}

/** The cheapest upstream: `return 200` with ~100 B of JSON, and a 64 KiB static file. */
export function upstreamNginxConfig({ dir, wwwDir, port, workers }) {
  return `${nginxMain(dir, 'upstream', workers)}
http {
${nginxHttpCommon(dir, 'upstream')}
  sendfile on;
  tcp_nopush on;
  server {
    listen 127.0.0.1:${port} backlog=4096;
    location = /small { default_type application/json; return 200 '${SMALL_JSON}'; }
    location = /echo  { default_type application/json; return 200 '${SMALL_JSON}'; }
    location = /64k   { root ${wwwDir}; default_type application/octet-stream; }
    location = /cached/small { default_type application/json; return 200 '${SMALL_JSON}'; }
    location = /cached/64k   { alias ${join(wwwDir, '64k')}; default_type application/octet-stream; }
  }
}
`;
}

/** nginx as a reverse proxy: 1 worker, upstream keep-alive 64, HTTP/1.1 to the upstream. */
export function proxyNginxConfig({ dir, port, upstreamPort }) {
  return `${nginxMain(dir, 'proxy', 1)}
http {
${nginxHttpCommon(dir, 'proxy')}
  upstream origin {
    server 127.0.0.1:${upstreamPort};
    keepalive 64;
    keepalive_requests ${KEEPALIVE_REQUESTS};
  }
  server {
    listen 127.0.0.1:${port} backlog=4096;
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      # room for a whole 64 KiB answer in memory; the defaults (8 x 4k) spill it to a temp file
      proxy_buffers 16 8k;
    }
  }
}
`;
}

/** HAProxy in HTTP mode: 1 thread, idle server connections reused by every client. */
export function haproxyConfig({ port, upstreamPort }) {
  return `global
  nbthread 1
  maxconn 4096

defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 60s
  http-reuse always

frontend proxy
  bind 127.0.0.1:${port}
  default_backend origin

backend origin
  server upstream 127.0.0.1:${upstreamPort}
`;
}
