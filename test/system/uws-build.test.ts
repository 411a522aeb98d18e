// Which uWebSockets.js build the gateway runs on: `tollgate --version` and the start line name it
// with Node and the platform; TOLLGATE_UWS forces one, and start refuses, with the reason, when
// the forced build does not load on this Node (a run on the system Node of a Debian 12 machine
// sees the current build refused; a run on scripts/trixie-node.sh's Node sees both start).
import { readFileSync } from 'node:fs';
import t from 'tap';
import { describePlatform, loadUws } from '../../dist/http/load-uws.js';
import { UWS_BUILD_NAMES } from '../../dist/http/uws-builds.js';
import { runCli as runCliWithTapEnv, writeConfig } from '../helpers/gateway-process.js';
import { uwsBuild } from '../helpers/uws-build.js';
import { childEnv, launch } from './fixtures/system-fixture.js';

const runCli = (args: string[], env: Record<string, string> = {}): ReturnType<typeof runCliWithTapEnv> =>
  runCliWithTapEnv(args, childEnv(env));

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const CONFIG = `listen: { host: 127.0.0.1, port: 0 }
admin: { host: 127.0.0.1, port: 0 }
routes:
  - id: status
    match: { path: /status, methods: [GET] }
    respond: { status: 200, json: { ok: true } }
`;

/** Whether `name` loads in this process (the CLI's children run on the same Node). */
function loadsHere(name: 'current' | 'legacy'): boolean {
  try {
    return loadUws(name).name === name;
  } catch {
    return false;
  }
}

t.test('tollgate --version names Tollgate, the build loaded, Node and the platform', async (t) => {
  const { code, stdout } = await runCli(['--version']);
  t.equal(code, 0);
  t.same(stdout.trim().split('\n'), [
    `tollgate ${VERSION}`,
    `uWebSockets.js ${uwsBuild.name} ${uwsBuild.version} (${uwsBuild.packageName})`,
    describePlatform(),
  ]);
  t.match(describePlatform(), `Node ${process.version}, ${process.platform}-${process.arch}`);
});

t.test('the start line names the build, Node and the platform', async (t) => {
  const gw = await launch(t, CONFIG, { workers: 1 });
  const started = gw.logs.find((l) => l.msg === 'tollgate started')!;
  t.equal(started.uws, `${uwsBuild.name} ${uwsBuild.version}`);
  t.equal(started.platform, describePlatform());
  const res = await fetch(`${gw.url}/status`);
  t.equal(res.status, 200);
});

for (const name of UWS_BUILD_NAMES) {
  const loads = loadsHere(name);
  t.test(`TOLLGATE_UWS=${name}: ${loads ? 'start runs on it' : 'start refuses, naming the build and why'}`, async (t) => {
    const version = await runCli(['--version'], { TOLLGATE_UWS: name });
    if (loads) {
      t.equal(version.code, 0);
      t.match(version.stdout, `uWebSockets.js ${name} `);
      const gw = await launch(t, CONFIG, { workers: 2, env: { TOLLGATE_UWS: name } });
      t.match(gw.logs.find((l) => l.msg === 'tollgate started')!.uws, new RegExp(`^${name} `));
      t.equal((await fetch(`${gw.url}/status`)).status, 200);
      return;
    }
    t.equal(version.code, 1, '--version exits 1');
    t.match(version.stdout, `tollgate ${VERSION}`, 'and still prints what it knows');
    const start = await runCli(['start', '-c', writeConfig(CONFIG), '--workers', '1'], { TOLLGATE_UWS: name });
    t.equal(start.code, 1);
    t.match(start.stderr, `TOLLGATE_UWS=${name} forces the ${name} build, which does not load here (${describePlatform()})`);
    t.match(start.stderr, /needs Node/);
    t.match(start.stderr, 'tollgate: not started');
    t.notMatch(start.stdout, /tollgate started/);
  });
}

t.test('TOLLGATE_UWS with another value is refused', async (t) => {
  const start = await runCli(['start', '-c', writeConfig(CONFIG), '--workers', '1'], { TOLLGATE_UWS: 'fallback' });
  t.equal(start.code, 1);
  t.match(start.stderr, 'TOLLGATE_UWS must be current or legacy, got "fallback"');
});
