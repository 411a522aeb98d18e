// What `tollgate init` writes: a commented config for one upstream that `tollgate validate`
// accepts as written (test/cli/init.test.ts checks it, and that it starts and proxies).

export const DEFAULT_STARTER_UPSTREAM = 'http://127.0.0.1:3000';

/** The starter config; `origin` is already checked (targetOrigin) and `file` is how the user named it. */
export function starterConfig(origin: string, file: string): string {
  return `# Tollgate config, written by \`tollgate init\`.
# Check it:  tollgate validate -c ${file}
# Start it:  tollgate start -c ${file}    (SIGHUP reloads this file; a file with errors keeps the running config)
# Every key, its type and default: docs/config.md. Unknown keys are errors, so a typo never passes silently.
# \${NAME} and \${NAME:-default} are read from the environment. Durations: 250ms, 30s, 5m; sizes: 64kb, 1mb.

# Where clients connect. 0.0.0.0 is every IPv4 address of this machine, :: IPv6 too, 127.0.0.1 this machine only.
listen:
  host: 0.0.0.0
  port: 8080

# Worker threads that serve requests: auto is one per available core (at most 256), or a number.
workers: auto

# What a client may send: a larger body is answered 413, a body slower than requestTimeout 408,
# a larger request head 431.
limits:
  maxBodySize: 1mb
  requestTimeout: 30s
  maxHeaderSize: 16kb

# Logs are JSON lines on stdout (journald, or a pipe to your shipper): one access line per request,
# and the gateway's own lines at \`level\` and above (fatal, error, warn, info, debug, trace).
log:
  level: info
  access: true

# The admin API on its own port: /health and /ready for probes, /config, /routes and POST /reload
# with \`Authorization: Bearer <token>\`. Keep the token out of this file: set TOLLGATE_ADMIN_TOKEN
# in the environment (systemd: an EnvironmentFile). Unset, there is no token, and the admin
# API answers only on a loopback address.
admin:
  host: 127.0.0.1
  port: 9901
  token: \${TOLLGATE_ADMIN_TOKEN:-}

# Answers carry no header naming the gateway's software (as nginx's server_tokens off);
# true adds \`server: tollgate/VERSION\` where the upstream sent no Server header of its own.
serverTokens: false

# The service behind the gateway. List more targets to balance between them:
#   targets: [http://10.0.0.5:3000, { url: http://10.0.0.6:3000, weight: 2 }]
upstreams:
  app:
    targets: [${origin}]
    connections: 64                           # keep-alive sockets per target per worker
    timeout: { connect: 2s, response: 10s }   # a target that does not answer in time: 504

# Routes match the normalised path: static segments beat :params, which beat a trailing *.
# A path no route matches is answered 404; a method a route does not list, 405.
routes:
  # Answered by the gateway itself, without calling the upstream.
  - id: status
    match: { path: /status, methods: [GET, HEAD] }
    respond: { status: 200, json: { ok: true } }

  # Everything else goes to the upstream, path and query string as sent. To serve only a
  # prefix and strip it: match: { path: /api/* } and rewrite: /*
  - id: app
    match: { path: /* }
    upstream: app
`;
}
