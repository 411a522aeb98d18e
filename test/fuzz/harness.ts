// The fuzz harness: the oracle, the capture upstream and a real gateway (supervisor and two
// worker threads, the default limits: chunked request bodies refused) in front of it. It runs
// cases concurrently in batches, attributes what the upstream received to the case whose key it
// carries, and checks each case's invariants; a suspect case is replayed alone, where everything
// the upstream receives is that case's, before it counts as a failure.
import { startGateway, type GatewayProcess } from '../helpers/gateway-process.js';
import { CaptureUpstream, type UpstreamRequest } from './capture-upstream.js';
import { sendToGateway, type ClientLimits } from './gateway-client.js';
import { KEY } from './messages.js';
import { NodeOracle, type OracleResult } from './node-oracle.js';
import { checkCase, mismatch, type CaseEvidence, type Violation } from './invariants.js';
import { uwsReading } from './uws-view.js';
import type { FuzzCase } from './generate.js';

export const BATCH_LIMITS: ClientLimits = { timeoutMs: 900, graceMs: 40 };
export const SOLO_LIMITS: ClientLimits = { timeoutMs: 2_500, graceMs: 300 };

const ALIVE_PATH = '/api/alive/';
const KEYS = new RegExp(KEY.source, 'g');
/** Log lines that mean a worker or a handler broke. */
const BROKEN = /worker exited unexpectedly|worker crashed|worker error|route handler threw/;

const config = (upstreamPort: number, workers: number): string => `
listen: { host: 127.0.0.1, port: 0 }
workers: ${workers}
admin: { host: 127.0.0.1, port: 0 }
log: { level: warn, access: false }
upstreams:
  fz: { targets: ['http://127.0.0.1:${upstreamPort}'] }
routes:
  - { id: proxy, match: { path: /api/* }, upstream: fz }
  - { id: get-only, match: { path: /get-only/*, methods: [GET, HEAD] }, upstream: fz }
  - { id: respond, match: { path: /here/* }, respond: { status: 200, json: { here: true } } }
`;

/** What a run's cases did, to tell a run that exercised the gateway from one that did not. */
export interface BatchStats {
  /** Requests the upstream received from the fuzz cases. */
  forwarded: number;
  /** Cases the strict parser gave up on. */
  strictRejected: number;
  /** Cases with something uWS reads differently (uws-view.ts). */
  uwsReadings: number;
  /** Cases the gateway never answered (dropped by uWS, or closed). */
  unanswered: number;
  /** Final answers by status code. */
  statuses: Record<number, number>;
}

export function emptyStats(): BatchStats {
  return { forwarded: 0, strictRejected: 0, uwsReadings: 0, unanswered: 0, statuses: {} };
}

interface Evidence extends CaseEvidence {
  forwarded: UpstreamRequest[];
  /** What the harness found beyond checkCase (the upstream's parser, a failed warm-up). */
  extra: Violation[];
}

export class FuzzHarness {
  private gw!: GatewayProcess;
  private logMark = 0;
  private aliveSeq = 0;

  private constructor(
    private readonly oracle: NodeOracle,
    private readonly upstream: CaptureUpstream,
    private readonly workers: number,
  ) {}

  static async start(workers = 2): Promise<FuzzHarness> {
    const oracle = new NodeOracle();
    const upstream = new CaptureUpstream();
    await oracle.start();
    await upstream.start();
    const h = new FuzzHarness(oracle, upstream, workers);
    await h.startGateway();
    return h;
  }

  private async startGateway(): Promise<void> {
    this.gw = await startGateway(config(this.upstream.port, this.workers));
    this.logMark = this.gw.logs.length;
  }

  get gatewayPid(): number | undefined {
    return this.gw.child.pid;
  }

  async stop(): Promise<void> {
    await this.gw.stop();
    await this.upstream.close();
    await this.oracle.close();
  }

  /** Runs cases at once: the suspects with what they seemed to break, and what happened overall. */
  async runBatch(cases: readonly FuzzCase[], stats: BatchStats): Promise<Map<FuzzCase, Violation[]>> {
    const evidence = await this.exercise(cases, BATCH_LIMITS, false);
    const suspects = new Map<FuzzCase, Violation[]>();
    cases.forEach((c, i) => {
      const e = evidence[i]!;
      const violations = [...e.extra, ...checkCase(e)];
      if (violations.length > 0) suspects.set(c, violations);
      stats.forwarded += e.forwarded.length;
      if (e.oracle.error !== null) stats.strictRejected++;
      if (e.uwsView !== null) stats.uwsReadings++;
      if (e.client.statuses.length === 0) stats.unanswered++;
      for (const status of e.client.statuses) stats.statuses[status] = (stats.statuses[status] ?? 0) + 1;
    });
    return suspects;
  }

  /**
   * Runs one case alone with generous time limits: what it breaks there, it really breaks. Plain
   * requests first leave every worker an idle upstream connection, as in a busy batch, where a
   * request is written upstream at once instead of waiting for a connect.
   */
  async runSolo(c: FuzzCase, limits: ClientLimits = SOLO_LIMITS): Promise<Violation[]> {
    const warm = await this.checkAlive();
    const [e] = await this.exercise([c], limits, true);
    if (warm.length > 0) e!.extra.push(...warm);
    return [...e!.extra, ...checkCase(e!)];
  }

  private async exercise(cases: readonly FuzzCase[], limits: ClientLimits, solo: boolean): Promise<Evidence[]> {
    const oracles = await Promise.all(cases.map((c) => this.oracle.parse(c.bytes)));
    const views = await Promise.all(cases.map((c) => {
      const view = uwsReading(c.bytes);
      return view === null ? null : this.oracle.parse(view);
    }));
    const requestMark = this.upstream.requests.length;
    const errorMark = this.upstream.errors.length;
    const clients = await Promise.all(cases.map((c, i) => {
      const complete = (o: OracleResult | null): number => (o === null ? 0 : o.requests.filter((r) => r.complete).length);
      return sendToGateway(this.gw.port, c.bytes, Math.max(complete(oracles[i]!), complete(views[i]!)), limits);
    }));
    await this.settle(limits === SOLO_LIMITS ? 300 : 60);
    const evidence: Evidence[] = cases.map((_, i) => ({ oracle: oracles[i]!, uwsView: views[i]!, client: clients[i]!, forwarded: [], extra: [] }));
    // Every key a case's bytes carry (a saved regression keeps the keys of the run that found it).
    const byKey = new Map<string, Evidence>();
    cases.forEach((c, i) => {
      for (const m of c.bytes.toString('latin1').matchAll(KEYS)) if (!byKey.has(m[0])) byKey.set(m[0], evidence[i]!);
    });
    const arrived = this.upstream.requests.slice(requestMark).filter((u) => !u.url.startsWith(ALIVE_PATH));
    for (const u of arrived) {
      if (solo) {
        evidence[0]!.forwarded.push(u);
        continue;
      }
      const key = KEY.exec(u.url);
      const owner = key === null ? undefined : byKey.get(key[0]);
      if (owner !== undefined) owner.forwarded.push(u);
      else this.attributeOrphan(u, cases, evidence);
    }
    for (const err of this.upstream.errors.slice(errorMark)) {
      if (err.cutShort) continue;
      const raw = err.raw.toString('latin1');
      const violation: Violation = {
        invariant: 'upstream-parse',
        detail: `the upstream's strict parser rejected what the gateway wrote on connection ${err.connection} (${err.error}); its last bytes: ${JSON.stringify(raw.slice(-400))}`,
      };
      // The parser stopped in the last request the connection carried: its key names the case.
      const last = [...raw.matchAll(KEYS)].pop();
      const owner = last === undefined ? undefined : byKey.get(last[0]);
      const owners = solo ? [evidence[0]!] : owner !== undefined ? [owner] : evidence;
      for (const e of owners) e.extra.push(violation);
    }
    return evidence;
  }

  /**
   * A request whose key a mutation broke: it belongs to the case that has an accepted request it
   * matches; when none has, every case that could have sent it is a suspect (the solo replay tells).
   */
  private attributeOrphan(u: UpstreamRequest, cases: readonly FuzzCase[], evidence: Evidence[]): void {
    const matching = evidence.findIndex((e) => [e.oracle, e.uwsView].some((o) => o !== null && o.requests.some((r) => mismatch(u, r) === null)));
    if (matching >= 0) {
      evidence[matching]!.forwarded.push(u);
      return;
    }
    const tail = u.url.split('?')[0]!.split('/').filter((s) => s !== '').pop() ?? '';
    const suspects = cases.flatMap((c, i) => (tail !== '' && c.bytes.toString('latin1').includes(tail) ? [i] : []));
    const violation: Violation = { invariant: 'forwarded-as-accepted', detail: `the upstream received ${u.method} ${JSON.stringify(u.url)}, which matches no accepted request of its batch` };
    for (const i of suspects.length > 0 ? suspects : cases.map((_, k) => k)) evidence[i]!.extra.push(violation);
  }

  /** Waits until the upstream has had nothing new for `quietMs` (requests still on their way). */
  private async settle(quietMs: number): Promise<void> {
    const until = Date.now() + 3_000;
    let seen = this.upstream.requests.length;
    let last = Date.now();
    while (Date.now() < until) {
      await new Promise((r) => setTimeout(r, 20));
      if (this.upstream.requests.length !== seen) {
        seen = this.upstream.requests.length;
        last = Date.now();
      } else if (Date.now() - last >= quietMs) {
        return;
      }
    }
  }

  /**
   * The gateway still serves: its process runs, no worker or handler broke since the last check,
   * and fresh plain requests on new connections (several, to reach every worker) are answered 200
   * by the upstream.
   */
  async checkAlive(): Promise<Violation[]> {
    const out: Violation[] = [];
    const child = this.gw.child;
    if (child.exitCode !== null || child.signalCode !== null) {
      out.push({ invariant: 'gateway-alive', detail: `the gateway exited (${child.exitCode ?? child.signalCode}); stderr: ${this.gw.stderr().slice(-2000)}` });
      return out;
    }
    const broken = this.gw.logs.slice(this.logMark).filter((l) => BROKEN.test(String(l.msg)) || Number(l.level) >= 50);
    this.logMark = this.gw.logs.length;
    for (const line of broken) out.push({ invariant: 'gateway-alive', detail: `gateway log: ${JSON.stringify(line).slice(0, 2000)}` });
    // Eight connections reach both workers all but surely, and leave each an idle upstream socket.
    const probes = await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map(() => {
      const bytes = Buffer.from(`GET ${ALIVE_PATH}${++this.aliveSeq} HTTP/1.1\r\nHost: fz.test\r\nConnection: close\r\n\r\n`, 'latin1');
      return sendToGateway(this.gw.port, bytes, 1, { timeoutMs: 5_000, graceMs: 0 });
    }));
    for (const p of probes) {
      if (p.statuses[0] !== 200 || p.fromUpstream.length !== 1) {
        out.push({ invariant: 'gateway-alive', detail: `a plain request on a new connection got ${JSON.stringify(p.text.slice(0, 300))}` });
      }
    }
    return out;
  }

  /** After a failed liveness check: a gateway that exited is started again so the run can go on. */
  async revive(): Promise<void> {
    const child = this.gw.child;
    if (child.exitCode === null && child.signalCode === null) return;
    await this.startGateway();
  }
}
