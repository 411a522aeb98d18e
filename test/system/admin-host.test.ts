// SPEC §4: without a token, the admin API answers only requests addressed to a loopback name
// or address, so a web page cannot read it through DNS rebinding (421 otherwise). The probes
// answer whatever the Host: load balancers send their own.
import t from 'tap';
import { rawExchange } from '../helpers/recording-upstream.js';
import { launch } from './fixtures/system-fixture.js';

const CONFIG = `listen: { host: 127.0.0.1, port: 0 }
admin: { host: 127.0.0.1, port: 0 }
routes:
  - id: status
    match: { path: /status }
    respond: { status: 200, json: { ok: true } }
`;

interface RawReply {
  status: number;
  headers: string;
  body: string;
}

/** One request with exactly the Host line given (none when null), on a connection of its own. */
async function adminRequest(port: number, method: string, path: string, host: string | null, version = '1.1'): Promise<RawReply> {
  const hostLine = host === null ? '' : `Host: ${host}\r\n`;
  const { text } = await rawExchange(port, `${method} ${path} HTTP/${version}\r\n${hostLine}Connection: close\r\nContent-Length: 0\r\n\r\n`, 3_000);
  const split = text.indexOf('\r\n\r\n');
  const headers = text.slice(0, split).toLowerCase();
  const body = text.slice(split + 4);
  return {
    status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0),
    headers,
    body: /transfer-encoding: chunked/.test(headers) ? dechunk(body) : body,
  };
}

function dechunk(body: string): string {
  let out = '';
  for (let at = 0; ;) {
    const eol = body.indexOf('\r\n', at);
    const size = parseInt(body.slice(at, eol), 16);
    if (!(size > 0)) return out;
    out += body.slice(eol + 2, eol + 2 + size);
    at = eol + 2 + size + 2;
  }
}

t.test('admin API without a token and a forged Host header', async (t) => {
  const gw = await launch(t, CONFIG, { workers: 1 });
  const port = gw.adminPort;

  t.test('loopback names and addresses, with or without a port, are answered', async (t) => {
    for (const host of ['localhost', `localhost:${port}`, 'LocalHost', '127.0.0.1', `127.0.0.1:${port}`, '127.8.9.10:80', '[::1]', `[::1]:${port}`]) {
      const res = await adminRequest(port, 'GET', '/routes', host);
      t.equal(res.status, 200, `Host: ${host}`);
      t.match(res.body, /"id":"status"/);
    }
  });

  t.test('any other Host is 421 problem+json on every endpoint but the probes', async (t) => {
    const hosts = ['evil.example', `evil.example:${port}`, 'localhost.evil.example', '127.0.0.1.evil.example', '10.0.0.1',
      '0.0.0.0', '127.0.0.256', '[::2]', '[::1].evil.example', `localhost:${port}x`, `localhost:${port}@evil.example`, ''];
    for (const host of hosts) {
      for (const [method, path] of [['GET', '/routes'], ['GET', '/upstreams'], ['GET', '/metrics'], ['GET', '/config'], ['POST', '/reload'], ['GET', '/nope'],
        ['GET', '/dashboard'], ['GET', '/dashboard/dashboard.js'], ['GET', '/dashboard/data']]) {
        const res = await adminRequest(port, method!, path!, host);
        t.equal(res.status, 421, `${method} ${path} with Host: ${JSON.stringify(host)}`);
        t.match(res.headers, /content-type: application\/problem\+json/);
      }
    }
    const res = await adminRequest(port, 'GET', '/config', 'evil.example');
    t.match(JSON.parse(res.body), { status: 421, title: 'Misdirected Request' });
    t.notMatch(res.body, /"listen"/, 'nothing of the config');
    t.equal((await adminRequest(port, 'GET', '/routes', 'localhost')).status, 200, 'a refused Host changes nothing for the next request');
  });

  t.test('an HTTP/1.0 request without Host is 421 too', async (t) => {
    t.equal((await adminRequest(port, 'GET', '/routes', null, '1.0')).status, 421);
    t.equal((await adminRequest(port, 'GET', '/routes', 'localhost', '1.0')).status, 200);
  });

  t.test('/health and /ready answer any Host, and none (load balancer probes)', async (t) => {
    for (const host of ['evil.example', 'gateway.internal:9901', '10.1.2.3']) {
      t.equal((await adminRequest(port, 'GET', '/health', host)).status, 200, `/health with Host: ${host}`);
      t.equal((await adminRequest(port, 'GET', '/ready', host)).status, 200, `/ready with Host: ${host}`);
    }
    t.equal((await adminRequest(port, 'GET', '/health', null, '1.0')).status, 200, '/health without Host');
    t.equal((await adminRequest(port, 'GET', '/ready', null, '1.0')).status, 200, '/ready without Host');
  });
});

t.test('with a token the Host does not matter: the token is what a web page cannot send', async (t) => {
  const gw = await launch(t, CONFIG.replace('port: 0 }\nroutes', 'port: 0, token: host-test-token }\nroutes'), { workers: 1 });
  const { text } = await rawExchange(gw.adminPort, 'GET /routes HTTP/1.1\r\nHost: evil.example\r\nAuthorization: Bearer host-test-token\r\nConnection: close\r\n\r\n', 3_000);
  t.match(text, /^HTTP\/1\.1 200 /);
  const none = await adminRequest(gw.adminPort, 'GET', '/routes', 'evil.example');
  t.equal(none.status, 401, 'without the token it is 401, as on any Host');

  // The dashboard's files hold no figures and must load before the page can ask for the token;
  // its data endpoint follows the token rule.
  const page = await adminRequest(gw.adminPort, 'GET', '/dashboard', 'evil.example');
  t.equal(page.status, 200, 'the dashboard page loads without the token');
  t.match(page.body, /data-token="required"/, 'and knows to ask for it');
  t.notMatch(page.body, /"id":"status"/, 'with no figures in it');
  const data = await adminRequest(gw.adminPort, 'GET', '/dashboard/data', 'evil.example');
  t.equal(data.status, 401, 'its data need the token');
  t.notMatch(data.body, /"routes"/);
});

t.test('the dashboard\'s files: strict headers, GET only; its data one JSON document', async (t) => {
  const gw = await launch(t, CONFIG, { workers: 1 });
  const files: [string, string][] = [['/dashboard', 'text/html'], ['/dashboard/dashboard.js', 'text/javascript'], ['/dashboard/dashboard.css', 'text/css'], ['/dashboard/favicon.svg', 'image/svg+xml']];
  for (const [path, type] of files) {
    const res = await adminRequest(gw.adminPort, 'GET', path, 'localhost');
    t.equal(res.status, 200, path);
    t.match(res.headers, new RegExp(`content-type: ${type.replace('+', '\\+')}`));
    t.match(res.headers, /content-security-policy: default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'/);
    t.match(res.headers, /x-content-type-options: nosniff/);
    t.match(res.headers, /x-frame-options: deny/);
    const post = await adminRequest(gw.adminPort, 'POST', path, 'localhost');
    t.equal(post.status, 405, `POST ${path}`);
  }
  const page = await adminRequest(gw.adminPort, 'GET', '/dashboard', 'localhost');
  t.match(page.body, /data-token="none"/, 'no token set: the page does not ask for one');
  t.notMatch(page.body, /<script>|<style>| style=| on[a-z]+=/i, 'no inline script, style or handler (the policy would block them)');
  t.notMatch(page.body, /(src|href)="(https?:)?\/\//, 'nothing from another host');
  const data = await adminRequest(gw.adminPort, 'GET', '/dashboard/data', 'localhost');
  t.equal(data.status, 200);
  t.match(data.headers, /content-type: application\/json/);
  t.match(JSON.parse(data.body), { generation: 1, ready: true, routes: [{ id: 'status', requests: 0, rps: 0 }], workers: [{ index: 0, state: 'serving' }] });
});
