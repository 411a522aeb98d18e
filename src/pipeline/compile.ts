import type { RouteConfig } from '../config/types.js';
import { STAGE_ORDER } from './order.js';
import type { CompiledRoute, Handler, StageDeps } from './types.js';

/** Composes one route's chain, last stage first, leaving out the stages its config turns off. */
export function compileRoute(route: RouteConfig, index: number, deps: StageDeps): CompiledRoute {
  let next: Handler | null = null;
  for (let i = STAGE_ORDER.length - 1; i >= 0; i--) {
    const stage = STAGE_ORDER[i]!(route, deps, next);
    if (stage !== null) next = stage;
  }
  if (next === null) throw new Error(`route ${route.id}: no stage answers it (neither upstream nor respond)`);
  return { id: route.id, index, config: route, handle: next, meter: deps.meters.route(route.id) };
}
