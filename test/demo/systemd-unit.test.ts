import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { parse } from 'yaml';

const UNIT_FILE = fileURLToPath(new URL('../../config/tollgate.service', import.meta.url));
const GATEWAY_YAML = fileURLToPath(new URL('../../config/gateway.yaml', import.meta.url));

type Unit = Map<string, Map<string, string[]>>;

/** systemd's INI dialect: [Section], Key=Value (repeatable), # and ; comments. */
function parseUnit(text: string): Unit {
  const unit: Unit = new Map();
  let section: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = line.match(/^\[(\w+)\]$/);
    if (header) {
      section = new Map();
      unit.set(header[1]!, section);
      continue;
    }
    const eq = line.indexOf('=');
    if (section === undefined || eq <= 0) throw new Error(`not a unit line: ${raw}`);
    const key = line.slice(0, eq);
    section.set(key, [...(section.get(key) ?? []), line.slice(eq + 1)]);
  }
  return unit;
}

/** systemd time spans as used here: "45s", "2min", "45" (seconds). */
function seconds(span: string): number {
  const match = span.match(/^(\d+)\s*(s|sec|min|m)?$/);
  if (!match) throw new Error(`unsupported time span ${span}`);
  return Number(match[1]) * (match[2] === 'min' || match[2] === 'm' ? 60 : 1);
}

const unit = parseUnit(readFileSync(UNIT_FILE, 'utf8'));
const service = unit.get('Service') ?? new Map<string, string[]>();
const one = (key: string): string | undefined => service.get(key)?.at(-1);

t.test('the unit has the three sections', async (t) => {
  t.same([...unit.keys()], ['Unit', 'Service', 'Install']);
  t.same(unit.get('Install')?.get('WantedBy'), ['multi-user.target']);
});

t.test('start, reload and stop map to the gateway commands and signals', async (t) => {
  t.match(one('ExecStart'), /^\/usr\/bin\/env tollgate start -c \/etc\/tollgate\/gateway\.yaml$/);
  t.equal(one('ExecReload'), '/bin/kill -HUP $MAINPID');
  t.equal(one('KillSignal'), 'SIGTERM');
  t.equal(one('Restart'), 'on-failure');
});

t.test('TimeoutStopSec leaves room for shutdownTimeout to drain', async (t) => {
  const stop = seconds(one('TimeoutStopSec') ?? '0');
  t.ok(stop > 30, `TimeoutStopSec ${stop}s is above the default 30s shutdownTimeout`);
  const config = parse(readFileSync(GATEWAY_YAML, 'utf8')) as { shutdownTimeout?: string };
  const drain = seconds(config.shutdownTimeout ?? '30s');
  t.ok(stop > drain, `TimeoutStopSec ${stop}s is above config/gateway.yaml shutdownTimeout ${drain}s`);
});

t.test('limits, user, environment and hardening', async (t) => {
  t.ok(Number(one('LimitNOFILE')) >= 65536, `LimitNOFILE=${one('LimitNOFILE')}`);
  t.equal(one('User'), 'tollgate');
  t.equal(one('EnvironmentFile'), '-/etc/tollgate/env');
  t.equal(one('NoNewPrivileges'), 'true');
  t.equal(one('ProtectSystem'), 'strict');
  t.ok(service.get('ReadWritePaths')?.some((v) => v.split(/\s+/).includes('/var/lib/tollgate')), 'the dataDir stays writable');
  t.equal(one('StateDirectory'), 'tollgate', 'systemd creates /var/lib/tollgate and passes it as STATE_DIRECTORY');
  t.equal(one('LogRateLimitIntervalSec'), '0', 'journald does not drop access lines under load');
  t.equal(one('ProtectHome'), 'true');
  t.equal(one('PrivateTmp'), 'true');
  t.equal(one('AmbientCapabilities'), 'CAP_NET_BIND_SERVICE');
});

// Where systemd-analyze is missing, the parse assertions above are the test.
const analyzer = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
if (analyzer.status === 0) {
  t.test('systemd-analyze verify accepts the unit', async (t) => {
    const result = spawnSync('systemd-analyze', ['verify', UNIT_FILE], { encoding: 'utf8', timeout: 30_000 });
    t.equal(result.status, 0, result.stderr);
    // verify exits 0 on directives it could not parse and ignored: those are printed with the file name.
    t.notMatch(result.stderr, /tollgate\.service:\d+:/, 'no directive was ignored');
  });
}
