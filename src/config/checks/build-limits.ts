// The limits that depend on the uWebSockets.js build that runs them: what a build cannot honour
// is refused at start, reload and validate, never accepted and ignored.
import type { UwsBuildSpec } from '../../http/uws-builds.js';
import type { Problem } from '../errors.js';
import type { GatewayConfig } from '../types.js';

/** The build facts these checks read (UWS_BUILDS entries satisfy it). */
export type BuildFacts = Pick<UwsBuildSpec, 'name' | 'release' | 'quirks'>;

const TIMEOUTS = [
  { key: 'headersTimeout', what: 'a connection that has not sent a complete request head (or whose request body stalls)' },
  { key: 'idleTimeout', what: 'a keep-alive connection that waits after an answer' },
] as const;

export function checkLimitsForBuild(limits: GatewayConfig['limits'], build: BuildFacts): Problem[] {
  const problems: Problem[] = [];
  const label = `the ${build.name} uWebSockets.js build (${build.release})`;
  const fixed = build.quirks.idleTimeoutSeconds;
  if (!build.quirks.settableTimeouts) {
    for (const { key, what } of TIMEOUTS) {
      const ms = limits[key];
      if (ms === null || ms === fixed * 1000) continue;
      problems.push({
        path: ['limits', key],
        at: 'value',
        message: `${label} closes ${what} after a fixed ${fixed}s (uWS's HTTP_IDLE_TIMEOUT_S, which this build cannot change): ` +
          `remove limits.${key} or set it to ${fixed}s, or run the current build (README: uWebSockets.js builds)`,
      });
    }
  }
  if (!build.quirks.connectionFilter && limits.maxConnections !== null) {
    problems.push({
      path: ['limits', 'maxConnections'],
      at: 'value',
      message: `${label} does not tell the gateway when a connection opens or closes (it has no App.filter), so it cannot limit them: ` +
        'remove limits.maxConnections, or run the current build (README: uWebSockets.js builds)',
    });
  }
  return problems;
}
