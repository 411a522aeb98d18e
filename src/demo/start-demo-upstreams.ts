import type { TemplatedApp, us_listen_socket, us_socket } from 'uWebSockets.js';
import { loadUws } from '../http/load-uws.js';
import { DEFAULT_DEMO_HOST, DEFAULT_DEMO_PORTS, DEMO_SERVICES, type DemoService, type DemoUpstreams } from './demo-service.js';
import { flakyService } from './flaky-service.js';
import { ordersRoutes } from './orders-service.js';
import { mountRoutes } from './route-table.js';
import { slowRoutes } from './slow-service.js';
import { usersRoutes } from './users-service.js';
import { mountWebSocketEcho } from './websocket-echo.js';

export interface DemoUpstreamsOptions {
  host?: string;
  /** Port per service; 0 picks a free one. Defaults to DEFAULT_DEMO_PORTS. */
  ports?: Partial<Record<DemoService, number>>;
}

interface Listening {
  app: TemplatedApp;
  socket: us_listen_socket;
}

// The typings lack the (host, port, options, cb) overload that uWS 20 accepts.
type ListenWithOptions = (
  host: string,
  port: number,
  options: number,
  cb: (socket: us_listen_socket | false) => void,
) => TemplatedApp;

// Without an exclusive port uWS sets SO_REUSEPORT, and a second demo instance would
// silently share the port instead of failing.
const LIBUS_LISTEN_EXCLUSIVE_PORT = 1;

/** The typings lack close(), which uWS 20 has: it closes the app's listen sockets and connections. */
function closeApp(app: TemplatedApp): void {
  (app as TemplatedApp & { close?: () => void }).close?.();
}

function buildApp(service: DemoService): TemplatedApp {
  const app = loadUws().uws.App();
  if (service === 'users') mountRoutes(app, usersRoutes());
  else if (service === 'orders') mountRoutes(app, ordersRoutes());
  else if (service === 'slow') mountRoutes(app, slowRoutes());
  else {
    const flaky = flakyService();
    mountRoutes(app, flaky.routes, flaky.guard);
  }
  mountWebSocketEcho(app);
  return app;
}

function listen(service: DemoService, host: string, port: number): Promise<Listening> {
  const app = buildApp(service);
  const listenWithOptions = app.listen.bind(app) as unknown as ListenWithOptions;
  return new Promise((resolve, reject) => {
    listenWithOptions(host, port, LIBUS_LISTEN_EXCLUSIVE_PORT, (socket) => {
      if (socket !== false) {
        resolve({ app, socket });
        return;
      }
      closeApp(app);
      reject(new Error(`demo upstream "${service}" cannot listen on ${host}:${port} (port in use or address not available)`));
    });
  });
}

function closeAll(listening: Listening[]): void {
  for (const { app, socket } of listening) {
    loadUws().uws.us_listen_socket_close(socket);
    closeApp(app); // closing connections aborts pending /slow and /drip answers
  }
}

/** Starts the four demo services, one uWS App each, in this thread. */
export async function startDemoUpstreams(opts: DemoUpstreamsOptions = {}): Promise<DemoUpstreams> {
  const host = opts.host ?? DEFAULT_DEMO_HOST;
  const ports = { ...DEFAULT_DEMO_PORTS, ...opts.ports };
  for (const service of DEMO_SERVICES) {
    const port = ports[service];
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new Error(`demo upstream "${service}": port must be an integer between 0 and 65535, got ${port}`);
    }
  }
  const listening: Listening[] = [];
  const bound: Partial<Record<DemoService, number>> = {};
  try {
    for (const service of DEMO_SERVICES) {
      const entry = await listen(service, host, ports[service]);
      listening.push(entry);
      bound[service] = loadUws().uws.us_socket_local_port(entry.socket as us_socket);
    }
  } catch (error) {
    closeAll(listening);
    throw error;
  }
  let closed = false;
  return {
    ports: bound as Record<DemoService, number>,
    close: async () => {
      if (closed) return;
      closed = true;
      closeAll(listening);
    },
  };
}
