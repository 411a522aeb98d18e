// SPEC §3: a burst much faster than the refill lets exactly `limit` requests through, whatever the
// worker count and concurrency. Four workers, limit 50 per hour, 400 requests over 40 concurrent
// connections: exactly 50 pass, in each of three runs (each run on its own route, so its own
// budget), and the 50 allowed answers count the budget down 49..0 between them.
import t from 'tap';
import { Agent } from 'undici';
import { gatewayWith, get, remainingOf, statsOf, type Answer, type RouteLine } from './fixture.js';

const RUNS = 3;
const REQUESTS = 400;
const CONNECTIONS = 40;
const LIMIT = 50;

t.test(`4 workers, limit ${LIMIT} per 1h: ${REQUESTS} requests on ${CONNECTIONS} connections let exactly ${LIMIT} through, every run`, async (t) => {
  const routes = Array.from({ length: RUNS }, (_, run) =>
    `  - { id: run${run}, match: { path: /run${run} }, respond: { json: { ok: true } }, rateLimit: { limit: ${LIMIT}, window: 1h } }`).join('\n');
  // Fault injection only for x-tollgate-worker, which names the worker that answered.
  const gw = await gatewayWith(t, routes, { workers: 4, env: { TOLLGATE_FAULT_INJECTION: '1' } });
  for (let run = 0; run < RUNS; run++) {
    const agent = new Agent({ connections: CONNECTIONS, pipelining: 1 });
    try {
      const answers: Answer[] = [];
      let next = 0;
      const client = async (): Promise<void> => {
        while (next < REQUESTS) {
          next++;
          answers.push(await get(`${gw.url}/run${run}`, {}, agent));
        }
      };
      await Promise.all(Array.from({ length: CONNECTIONS }, client));
      const allowed = answers.filter((a) => a.status === 200);
      const refused = answers.filter((a) => a.status === 429);
      t.equal(answers.length, REQUESTS, `run ${run}: every request answered`);
      t.equal(allowed.length, LIMIT, `run ${run}: exactly ${LIMIT} allowed`);
      t.equal(refused.length, REQUESTS - LIMIT, `run ${run}: the rest refused with 429`);
      const workers = new Set(allowed.map((a) => a.headers['x-tollgate-worker']));
      t.ok(workers.size >= 2, `run ${run}: the allowed requests were answered by ${workers.size} different workers`);
      const remaining = allowed.map((a) => remainingOf(a.state)).sort((a, b) => a - b);
      t.same(remaining, Array.from({ length: LIMIT }, (_, i) => i), `run ${run}: the allowed answers say 49, 48 ... 0 left, each once`);
      t.ok(refused.every((a) => a.state.startsWith(`"run${run}";r=0;`) && Number(a.retryAfter) >= 1), `run ${run}: every 429 says r=0 and when to retry`);
    } finally {
      await agent.close();
    }
  }
  const stats = await statsOf(gw);
  const routeStats = stats.routes as RouteLine[];
  t.same(routeStats.filter((r) => r.lifetime.rateLimited !== undefined).map((r) => [r.id, r.lifetime.rateLimited]).sort(), Array.from({ length: RUNS }, (_, run) => [`run${run}`, REQUESTS - LIMIT]),
    'the SIGUSR2 snapshot counts the refusals per route, summed over the workers');
});
