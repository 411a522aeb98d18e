import type { StageFactory } from '../../pipeline/types.js';
import type { RespondConfig } from '../../config/types.js';

/**
 * The head and body of an answer the config spells out (`respond`, `fallback`): content-type from
 * `json` or `body`, then `headers` (a name already there gets the new value).
 */
export function fixedAnswer(spec: RespondConfig, extra: Readonly<Record<string, string>>): { headers: string[]; body: Buffer } {
  const headers: string[] = [];
  let body: Buffer;
  if (spec.json !== undefined) {
    body = Buffer.from(JSON.stringify(spec.json));
    headers.push('content-type', 'application/json');
  } else {
    body = Buffer.from(spec.body ?? '');
    if (spec.body !== undefined) headers.push('content-type', 'text/plain; charset=utf-8');
  }
  for (const [name, value] of Object.entries(extra)) {
    const at = headers.indexOf(name);
    if (at >= 0 && at % 2 === 0) headers[at + 1] = value;
    else headers.push(name, value);
  }
  return { headers, body };
}

/** Terminal stage for `respond:` routes: the whole answer is built once, at compile time. */
export const respondStage: StageFactory = (route) => {
  const spec = route.respond;
  if (spec === null || spec.plugin !== undefined) return null; // a function route: stages/plugins/
  const { headers, body } = fixedAnswer(spec, spec.headers);
  for (const [name, value] of Object.entries(route.headers.response.set)) headers.push(name, value);
  const status = spec.status;
  const noBody = status === 204 || status === 304; // the schema allows 200..599 only
  return (ctx) => {
    if (noBody) ctx.exchange.replyNoBody(status, headers, -1);
    else if (ctx.method === 'HEAD') ctx.exchange.replyNoBody(status, headers, body.length);
    else ctx.exchange.reply(status, headers, body);
  };
};
