import type { AuthGeneration } from '../../auth/auth-runtime.js';
import { apiKeyIdentity, REFUSALS, type Identity } from '../../auth/identity.js';
import type { JwtOutcome, JwtProvider } from '../../auth/jwt-provider.js';
import { tokenHash } from '../../auth/token-cache.js';
import type { RequestContext } from '../../pipeline/context.js';
import { guarded } from '../../pipeline/guard.js';
import { HeldBodyExchange } from '../../pipeline/held-body.js';
import { replyProblem } from '../../pipeline/problem-reply.js';
import type { Handler, StageFactory } from '../../pipeline/types.js';
import { routeChallenges } from './challenges.js';
import { readCredentials, removeCredentialHeaders, withoutParam } from './credentials.js';

/**
 * Route `auth`: who is calling. The methods a route lists are alternatives, any one suffices.
 * Which credential is checked: that of the first method in the route's list the request
 * carries (a bearer token for jwt:NAME, the key header or parameter for apiKey). Only that one
 * is checked, and if it is bad the answer is 401 whatever else the request carries: a bad
 * credential is never passed over for another, and a request costs one check at most. A bearer
 * token is tried against the route's jwt providers in their order, the first to accept it wins.
 *
 * API keys (header and query parameter) are always removed before the request goes upstream,
 * and so is the bearer token unless the provider that accepted it says forwardToken. The
 * upstream learns the caller from X-Consumer-Id (ctx.consumer), which clients cannot send.
 */
export const authStage: StageFactory = (route, deps, next) => {
  if (route.auth === null || next === null) return null;
  const auth = deps.auth;
  const counters = auth.counters;
  const acceptsKey = route.auth.includes('apiKey');
  const providers: JwtProvider[] = route.auth.filter((m) => m.startsWith('jwt:')).map((m) => auth.providers.get(m.slice(4))!);
  const jwtFirst = providers.length > 0 && (!acceptsKey || route.auth.findIndex((m) => m.startsWith('jwt:')) < route.auth.indexOf('apiKey'));
  const keyHeader = acceptsKey ? auth.apiKeyHeader : null;
  const keyParam = acceptsKey ? auth.apiKeyQuery : null;
  const scopes = route.scopes;
  const challenge = routeChallenges(providers.length > 0, acceptsKey, keyHeader, keyParam, scopes);
  const wanted = [providers.length > 0 ? 'a bearer token (Authorization: Bearer)' : '', acceptsKey ? `an API key (${keyHeader} header)` : '']
    .filter((w) => w !== '').join(' or ');
  const missingDetail = `This route needs credentials: ${wanted}.`;

  const unauthorized = (ctx: RequestContext, detail: string, headers: string[]): void => {
    replyProblem(ctx.exchange, ctx.requestId, 'TG_UNAUTHORIZED', detail, headers);
  };

  /** Removes what the upstream must not see: API keys always, the bearer token unless forwarded. */
  const strip = (ctx: RequestContext, forwardToken: boolean): void => {
    const bearer = providers.length > 0 && !forwardToken;
    if (keyHeader !== null || bearer) removeCredentialHeaders(ctx.headers, keyHeader, bearer);
    if (keyParam !== null && ctx.query !== '') {
      ctx.query = withoutParam(ctx.query, keyParam);
      if (ctx.query === '') ctx.hasQuery = false;
    }
  };

  const accept = (ctx: RequestContext, identity: Identity): void => {
    if (scopes !== null) {
      for (const scope of scopes) {
        if (!identity.scopes.has(scope)) {
          counters.insufficientScope++;
          replyProblem(ctx.exchange, ctx.requestId, 'TG_INSUFFICIENT_SCOPE', `The token lacks the scope this route needs: ${scopes.join(' ')}.`, challenge.scope);
          return;
        }
      }
    }
    ctx.consumer = identity.consumer;
    next(ctx);
  };

  const checkKey = (ctx: RequestContext, key: string, count: number): void => {
    strip(ctx, false);
    const consumer = count === 1 ? auth.apiKeys.consumerOf(key) : null;
    if (consumer === null) {
      counters.apiKeyRefused++;
      unauthorized(ctx, count === 1 ? 'The API key is not valid.' : 'The request carries more than one API key.', challenge.badKey);
      return;
    }
    counters.apiKeyAccepted++;
    accept(ctx, apiKeyIdentity(consumer));
  };

  const onOutcome = (ctx: RequestContext, outcome: JwtOutcome, provider: JwtProvider | null): void => {
    if (outcome.ok) {
      counters.jwtVerified++;
      strip(ctx, provider!.forwardToken);
      accept(ctx, outcome.identity);
      return;
    }
    strip(ctx, false);
    if (outcome.why === 'overloaded') {
      counters.poolFull++;
      replyProblem(ctx.exchange, ctx.requestId, 'TG_AUTH_OVERLOADED', 'Too many tokens are waiting to be checked; try again shortly.', ['retry-after', '1']);
    } else if (outcome.why === 'unavailable') {
      counters.keysUnavailable++;
      replyProblem(ctx.exchange, ctx.requestId, 'TG_AUTH_UNAVAILABLE', 'The keys to check this token are not available yet; try again shortly.', ['retry-after', '5']);
    } else {
      counters.jwtRefused++;
      unauthorized(ctx, `The bearer token is not valid: ${REFUSALS[outcome.refusal]}.`, challenge.badToken);
    }
  };

  const checkToken = (ctx: RequestContext, token: string, count: number): void => {
    if (count !== 1 || token === '') {
      strip(ctx, false);
      counters.jwtRefused++;
      unauthorized(ctx, count === 1 ? 'The bearer token is not valid: it is not a well-formed token.' : 'The request carries more than one bearer token.', challenge.badToken);
      return;
    }
    const key = tokenHash(token);
    const now = Date.now();
    for (const p of providers) {
      const identity = p.cached(key, now);
      if (identity !== null) {
        counters.jwtCached++;
        strip(ctx, p.forwardToken);
        accept(ctx, identity);
        return;
      }
    }
    // Off the fast path: keep the request body from the start (see HeldBodyExchange).
    const ex = ctx.exchange;
    if (ex.hasBody) ctx.exchange = new HeldBodyExchange(ex);
    verifyInTurn(providers, token, key).then(
      guarded(ex, 'auth: token checked', ([outcome, provider]: [JwtOutcome, JwtProvider | null]) => {
        if (ex.finished) return; // the client went away meanwhile
        onOutcome(ctx, outcome, provider);
      }),
      (err: unknown) => ex.fail(err, 'auth: token check'),
    );
  };

  const handler: Handler = (ctx) => {
    const c = readCredentials(ctx.headers, keyHeader, ctx.query, keyParam);
    const hasToken = providers.length > 0 && c.bearers > 0;
    const hasKey = acceptsKey && c.apiKeys > 0;
    if (hasToken && (jwtFirst || !hasKey)) checkToken(ctx, c.bearer, c.bearers);
    else if (hasKey) checkKey(ctx, c.apiKey, c.apiKeys);
    else {
      strip(ctx, false);
      counters.missing++;
      unauthorized(ctx, missingDetail, challenge.missing);
    }
  };
  return handler;
};

/** Tries the providers in order; the first acceptance wins, else the first provider's refusal. */
async function verifyInTurn(providers: readonly JwtProvider[], token: string, key: string): Promise<[JwtOutcome, JwtProvider | null]> {
  let first: JwtOutcome | null = null;
  for (const p of providers) {
    const outcome = await p.verify(token, key);
    if (outcome.ok) return [outcome, p];
    // Overloaded or unavailable: answered as such at once rather than tried elsewhere.
    if (outcome.why !== 'refused') return [outcome, p];
    first ??= outcome;
  }
  return [first!, null];
}
