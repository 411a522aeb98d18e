// One worker's listeners: a uWS app per configured listener, each bound with SO_REUSEPORT to the
// port every worker shares, and what a reload does to them when certificates change.
//
// uWS loads a certificate only when an app is made (SSLApp) or a server name added
// (addServerName), and the default certificate of an SSLApp cannot be replaced at all. Replacing
// a server name in place is unsafe too: removeServerName frees the name's router while open
// connections that chose it still point at it. So a listener whose certificates changed gets a
// new app, listening on the same port beside the old one; then the old listen socket closes. The
// old app keeps its open connections (they run the current routes: the edge reads the current
// generation per request) until they finish, and is closed once idle.
import type { HttpRequest, HttpResponse, TemplatedApp, us_listen_socket, WebSocketBehavior } from 'uWebSockets.js';
import type { Uws } from '../http/load-uws.js';
import type { ListenerConfig, TlsCertificate } from '../config/schema/listen.js';
import { defaultCertificate } from '../config/default-certificate.js';
import { readTlsPair, type TlsPair } from '../config/tls-pair.js';
import type { Logger } from '../observability/logger.js';

/** Counts one app's requests, so that a replaced app is closed only once nothing runs on it. */
export interface AppTraffic {
  started(): void;
  finished(): void;
}

export type Scheme = 'http' | 'https';

/**
 * Makes the request handler of one app (the edge), reporting its requests to `traffic`; with a
 * `websocket` behaviour, WebSocket upgrades are registered too (an open WebSocket counts as a
 * request in flight until it closes, so a replaced app stays open for it).
 */
export type HandlerFactory = (scheme: Scheme, traffic: AppTraffic) => ((res: HttpResponse, req: HttpRequest) => void) & { readonly websocket?: WebSocketBehavior<never> };

/** Told of every app this worker makes and closes (connection limits apply per app: http/connection-limits.ts). */
export interface AppHooks {
  opened(app: TemplatedApp): void;
  closed(app: TemplatedApp): void;
}

const NO_HOOKS: AppHooks = { opened: () => {}, closed: () => {} };

/**
 * How long a replaced app stays open after its last request finished: longer than uWS's own idle
 * timeout for HTTP connections (about 10 s on the legacy build, 30 s on the current one), so by
 * then uWS itself has closed every connection that carried no request, and close() cuts nothing.
 */
const RETIRED_APP_GRACE_MS = 60_000;

/** One app and its listen socket; a retired one listens no more and serves its open connections. */
class AppInstance implements AppTraffic {
  socket: us_listen_socket | null = null;
  private inFlight = 0;
  private retiredTimer: NodeJS.Timeout | null = null;
  private retired = false;
  private closed = false;

  constructor(
    readonly app: TemplatedApp,
    private readonly uws: Uws,
    private readonly graceMs: number,
    private readonly onClosed: (instance: AppInstance) => void,
  ) {}

  started(): void {
    this.inFlight++;
    if (this.retiredTimer !== null) {
      clearTimeout(this.retiredTimer);
      this.retiredTimer = null;
    }
  }

  finished(): void {
    this.inFlight--;
    if (this.retired && !this.closed && this.inFlight === 0) this.scheduleClose();
  }

  stopListening(): void {
    if (this.socket === null) return;
    this.uws.us_listen_socket_close(this.socket);
    this.socket = null;
  }

  retire(): void {
    if (this.closed) return;
    this.stopListening();
    this.retired = true;
    if (this.inFlight === 0) this.scheduleClose();
  }

  /** Closes the listen socket and every connection (uv handles must be gone before the thread ends). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.retiredTimer !== null) clearTimeout(this.retiredTimer);
    this.retiredTimer = null;
    this.stopListening();
    (this.app as TemplatedApp & { close(): void }).close();
    this.onClosed(this);
  }

  private scheduleClose(): void {
    if (this.retiredTimer !== null) clearTimeout(this.retiredTimer);
    this.retiredTimer = setTimeout(() => this.close(), this.graceMs);
    this.retiredTimer.unref();
  }
}

/** A certificate of a listener as this worker read it from disk. */
export interface LoadedCertificate {
  serverName: string | null;
  entry: TlsCertificate;
  pair: TlsPair;
}

interface Slot {
  config: ListenerConfig;
  port: number;
  /** The certificates the current app was made with; [] for plain HTTP. */
  certificates: LoadedCertificate[];
  current: AppInstance;
}

export class ListenerError extends Error {}

export class WorkerListeners {
  private slots: Slot[] = [];
  private readonly retired = new Set<AppInstance>();

  constructor(
    private readonly uws: Uws,
    private readonly handlerFor: HandlerFactory,
    private readonly log: Logger,
    private readonly hooks: AppHooks = NO_HOOKS,
    /** How long a replaced app stays open once idle (tests shorten it). */
    private readonly retiredGraceMs = RETIRED_APP_GRACE_MS,
  ) {}

  /** Replaced apps not closed yet: they still serve connections opened before a certificate change. */
  get retiredApps(): number {
    return this.retired.size;
  }

  /** Opens every listener on its port (resolved by the supervisor); throws ListenerError, leaving nothing open. */
  open(listeners: readonly ListenerConfig[], ports: readonly number[]): void {
    const opened: Slot[] = [];
    try {
      listeners.forEach((config, i) => opened.push(this.openSlot(config, ports[i]!)));
    } catch (err) {
      for (const slot of opened) slot.current.close();
      throw err;
    }
    this.slots = opened;
  }

  /**
   * Applies a new generation's listeners (same hosts, ports and schemes: the supervisor refuses
   * other changes). A listener whose certificate files changed on disk gets a new app listening
   * beside the old one; only once every new app listens do the old ones stop accepting. Throws
   * ListenerError, with nothing changed, when a certificate cannot be loaded or a port bound.
   * Returns the listeners that were replaced.
   */
  update(listeners: readonly ListenerConfig[]): { listener: string; certificates: LoadedCertificate[] }[] {
    const next: Slot[] = [];
    const replaced: Slot[] = [];
    try {
      listeners.forEach((config, index) => {
        const before = this.slots[index];
        if (before === undefined) throw new ListenerError(`listener ${index} is not open on this worker: a restart is needed to add one`);
        const certificates = config.tls === null ? [] : this.loadCertificates(config.tls, config.host, before.port);
        if (sameCertificates(before.certificates, certificates)) {
          next.push({ ...before, config });
          return;
        }
        const slot = this.openSlot(config, before.port, certificates);
        replaced.push(slot);
        next.push(slot);
      });
    } catch (err) {
      for (const slot of replaced) slot.current.close();
      throw err;
    }
    const old = this.slots.filter((slot, index) => next[index]!.current !== slot.current).map((slot) => slot.current);
    this.slots = next;
    for (const instance of old) this.retired.add(instance);
    // Closing a listen socket resets the connections still queued on it, unless the kernel hands
    // them to another socket of the port (net.ipv4.tcp_migrate_req=1). While this thread built the
    // new apps, connections queued up on the old sockets: setImmediate runs right after the event
    // loop's poll phase, in which uWS accepts what is queued, so fewer are left for the close to
    // reset. Measured (8 clients opening TLS connections back to back, 2 workers, 60 renewals):
    // 66 resets closing at once, 39 after setImmediate, 0 with tcp_migrate_req=1 (README, TLS).
    setImmediate(() => {
      for (const instance of old) instance.retire();
    });
    return replaced.map((slot) => ({ listener: `${slot.config.host}:${slot.port}`, certificates: slot.certificates }));
  }

  /** Stops accepting connections on every listener; open connections stay. */
  stopAccepting(): void {
    for (const slot of this.slots) slot.current.stopListening();
  }

  /** Closes every app, replaced ones included, with their connections. */
  closeAll(): void {
    for (const slot of this.slots) slot.current.close();
    for (const instance of [...this.retired]) instance.close();
    this.slots = [];
  }

  private openSlot(config: ListenerConfig, port: number, loaded?: LoadedCertificate[]): Slot {
    const certificates = loaded ?? (config.tls === null ? [] : this.loadCertificates(config.tls, config.host, port));
    const instance = this.makeApp(config, certificates);
    instance.app.listen(config.host, port, (socket) => {
      if (socket) instance.socket = socket;
    });
    if (instance.socket === null) {
      instance.close();
      throw new ListenerError(`cannot listen on ${config.host}:${port} (address in use or not available)`);
    }
    return { config, port, certificates, current: instance };
  }

  /**
   * Reads and checks every certificate of a listener as it is on disk now, right before uWS loads
   * the same files: the legacy build crashes the process on a server name whose files it cannot
   * load, and SSLApp only says "App construction failed".
   */
  private loadCertificates(tls: readonly TlsCertificate[], host: string, port: number): LoadedCertificate[] {
    return tls.map((entry) => {
      const where = `listener ${host}:${port}${entry.serverName === null ? '' : ` serverName ${entry.serverName}`}`;
      const read = readTlsPair(entry.certFile, entry.keyFile);
      if (!read.ok) throw new ListenerError(`${where}: ${read.message}`);
      const loaded = read.pair.summary.fingerprint256;
      if (loaded !== entry.certificate.fingerprint256) {
        // The files changed between the supervisor's reading and this one (a renewal without a
        // SIGHUP yet, or during one): this worker serves what is on disk now.
        this.log.warn({ listener: `${host}:${port}`, serverName: entry.serverName, fingerprint256: loaded, configFingerprint256: entry.certificate.fingerprint256 },
          'certificate files changed since the config was loaded: this worker serves the files as they are now; send SIGHUP to load them on every worker');
      }
      return { serverName: entry.serverName, entry, pair: read.pair };
    });
  }

  private makeApp(config: ListenerConfig, certificates: LoadedCertificate[]): AppInstance {
    const scheme: Scheme = config.tls === null ? 'http' : 'https';
    let app: TemplatedApp;
    if (config.tls === null) {
      app = this.uws.App();
    } else {
      const fallback = defaultCertificate(config.tls);
      try {
        app = this.uws.SSLApp(uwsOptions(fallback));
      } catch (err) {
        throw new ListenerError(`uWS could not load certificate ${fallback.certFile} with key ${fallback.keyFile}: ${(err as Error).message}`);
      }
    }
    const instance = new AppInstance(app, this.uws, this.retiredGraceMs, (closed) => {
      this.retired.delete(closed);
      this.hooks.closed(closed.app);
    });
    this.hooks.opened(app);
    const handler = this.handlerFor(scheme, instance);
    const websocket = handler.websocket;
    app.any('/*', handler);
    if (websocket !== undefined) app.ws('/*', websocket);
    for (const { entry } of certificates) {
      if (entry.serverName === null) continue;
      // A server name gets its own router in uWS: requests on connections that chose this name
      // are routed there, so the edge is registered under it too. (uWS prints "Browsed to SNI"
      // on stdout here.)
      app.addServerName(entry.serverName, uwsOptions(entry));
      const domain = app.domain(entry.serverName).any('/*', handler);
      if (websocket !== undefined) domain.ws('/*', websocket);
    }
    return instance;
  }
}

function uwsOptions(entry: TlsCertificate): { cert_file_name: string; key_file_name: string } {
  return { cert_file_name: entry.certFile, key_file_name: entry.keyFile };
}

function sameCertificates(a: readonly LoadedCertificate[], b: readonly LoadedCertificate[]): boolean {
  return a.length === b.length && a.every((x, i) => x.serverName === b[i]!.serverName && x.pair.digest === b[i]!.pair.digest
    && x.entry.certFile === b[i]!.entry.certFile && x.entry.keyFile === b[i]!.entry.keyFile);
}
