// One gateway (1 worker) in front of the demo upstreams, shared by the tests of a file.
import { startDemoUpstreams } from '../../dist/demo/index.js';
import { startGateway, type GatewayProcess } from '../helpers/gateway-process.js';

export interface ProxyFixture {
  gw: GatewayProcess;
  ports: Record<'users' | 'orders' | 'slow' | 'flaky', number>;
  close(): Promise<void>;
}

export async function startProxyFixture(routesYaml: (ports: ProxyFixture['ports']) => string, extra = '', env: Record<string, string> = {}): Promise<ProxyFixture> {
  const demo = await startDemoUpstreams({ host: '127.0.0.1', ports: { users: 0, orders: 0, slow: 0, flaky: 0 } });
  const p = demo.ports;
  const yaml = `
listen: { host: 127.0.0.1, port: 0 }
workers: 1
admin: { host: 127.0.0.1, port: 0 }
${/^log:/m.test(extra) ? '' : 'log: { level: info, access: true }'}
${extra}
upstreams:
  users: { targets: [http://127.0.0.1:${p.users}] }
  orders: { targets: [http://127.0.0.1:${p.orders}] }
  slow: { targets: [http://127.0.0.1:${p.slow}], timeout: { response: 300ms } }
  flaky: { targets: [http://127.0.0.1:${p.flaky}] }
routes:
${routesYaml(p)}
`;
  let gw: GatewayProcess;
  try {
    gw = await startGateway(yaml, { env });
  } catch (err) {
    await demo.close();
    throw err;
  }
  return {
    gw,
    ports: p,
    close: async () => {
      await gw.stop();
      await demo.close();
    },
  };
}
