import { createRequire } from 'node:module';
import type * as UWS from 'uWebSockets.js';

export type Uws = typeof UWS;

export class UwsUnavailableError extends Error {
  readonly code = 'TG_UWS_UNAVAILABLE';
}

/**
 * Loads the native uWebSockets.js binary. The package silently falls back to a slow pure-JS
 * server when its binary does not load; that fallback has no SSLApp and no getParts, so their
 * absence is how we refuse it.
 */
export function loadUws(): Uws {
  const require = createRequire(import.meta.url);
  const fallbackRequested = /^(1|true)$/i.test(process.env.UWS_USE_FALLBACK ?? '');
  let mod: Uws;
  const warn = console.warn;
  const log = console.log;
  let said = '';
  // The package prints its own fallback warning; capture it to put it in our message instead.
  console.warn = (...a: unknown[]) => { said += a.join(' ') + '\n'; };
  console.log = (...a: unknown[]) => { said += a.join(' ') + '\n'; };
  try {
    mod = require('uWebSockets.js') as Uws;
  } finally {
    console.warn = warn;
    console.log = log;
  }
  const native = typeof (mod as { SSLApp?: unknown }).SSLApp === 'function'
    && typeof (mod as { getParts?: unknown }).getParts === 'function';
  if (!native || fallbackRequested) {
    throw new UwsUnavailableError(
      'uWebSockets.js native binary did not load (platform ' + process.platform + '-' + process.arch +
      ', Node ABI ' + process.versions.modules + '); refusing to start on the slow pure-JS fallback.' +
      (said ? '\n' + said.trim() : ''),
    );
  }
  return mod;
}
