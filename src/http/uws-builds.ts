/**
 * The two bundled uWebSockets.js builds and what each one does differently: one entry per quirk,
 * each checked against the loaded build by test/http/uws-builds.test.ts (a raw socket against a
 * bare uWS App), so no workaround rests on a guess about the build.
 *
 * - current: the official 20.57 binaries (npm alias `uWebSockets.js`); Node 20, 22, 24 and 25,
 *   glibc 2.38 or newer on Linux, macOS, Windows.
 * - legacy: the unofficial 20.30 build (npm alias `uWebSockets.js-legacy`); Node 16, 18 and 20,
 *   older glibc.
 */

export type UwsBuildName = 'current' | 'legacy';

export const UWS_BUILD_NAMES: readonly UwsBuildName[] = ['current', 'legacy'];

export interface UwsQuirks {
  /**
   * getMethod() lowercases the method inside the request, so getCaseSensitiveMethod() called
   * after it returns lowercase too. Both builds: the edge only ever calls getCaseSensitiveMethod().
   */
  readonly getMethodLowercasesInPlace: boolean;
  /**
   * Only the nine standard methods, uppercase (GET HEAD POST PUT DELETE CONNECT OPTIONS TRACE
   * PATCH), reach the handler; any other method closes the connection unanswered. Without it
   * every method without spaces or controls arrives as sent, and the edge refuses (501) those
   * Node's strict parser does not know.
   */
  readonly standardMethodsOnly: boolean;
  /**
   * endWithoutBody with a length or the close flag aborts the process (for any argument but
   * (0, true)). Bodiless answers then write Content-Length and `Connection: close` as headers and
   * leave the close to the client. Where it does not abort, endWithoutBody(undefined, true) writes
   * a bogus Content-Length, so an answer without a length never takes the close flag.
   */
  readonly endWithoutBodyLengthAborts: boolean;
  /**
   * resume() on a response that was not paused stops uWS reading the connection: the next request
   * on it waits for the idle timeout. Both builds: the exchange only resumes what it paused.
   */
  readonly resumeUnpausedStalls: boolean;
  /** What uWS answers an HTTP/1.0 request with, then closing; null: nothing (closed when idle). */
  readonly http10Status: number | null;
  /**
   * What uWS answers a malformed header line with (obs-fold, NUL or another control character,
   * a bare LF, a space before the colon, a name that is not a token), then closing; null:
   * nothing, and the connection is closed when idle.
   */
  readonly malformedHeaderStatus: number | null;
  /**
   * What uWS answers a request line it cannot read with (a raw space or control character in the
   * target, a version other than HTTP/1.1, lines ended by a bare LF); null: nothing (closed when idle).
   */
  readonly malformedRequestLineStatus: number | null;
  /**
   * What uWS answers a request whose framing it refuses with (no Host, Content-Length with
   * Transfer-Encoding, a Content-Length that is not one number, a bad chunk size), then closing;
   * null: nothing, the connection is closed at once.
   */
  readonly refusedFramingStatus: number | null;
  /** What uWS answers a request with two Host lines with, then closing; null: handed to the gateway (400). */
  readonly duplicateHostStatus: number | null;
  /** The most header lines (Host included) a request may have; one more is refused by uWS. */
  readonly maxHeaderLines: number;
  /** The status for one header line too many, then a close; null: nothing (closed when idle). */
  readonly tooManyHeadersStatus: number | null;
  /**
   * uWS's own HTTP timeouts, in seconds: a connection that has not sent a complete request head,
   * that waits after an answer for the next one, or whose request body stalls is closed after it
   * (uSockets checks every 4 s, so the close comes up to 4 s before or after). The default of
   * limits.headersTimeout and limits.idleTimeout.
   */
  readonly idleTimeoutSeconds: number;
  /**
   * App.setIdleTimeout and App.setResponseTimeout exist (the btc-vision build): the first sets the
   * timer of a new connection's first request head and of a stalled request body, the second the
   * wait after an answer for the next request head (limits.headersTimeout, limits.idleTimeout).
   * Without them both are fixed at idleTimeoutSeconds.
   */
  readonly settableTimeouts: boolean;
  /**
   * App.filter exists: a callback on every connection opened (+1) and closed (-1); res.close()
   * inside it closes the new connection at once (limits.maxConnections).
   */
  readonly connectionFilter: boolean;
  /**
   * An upgraded WebSocket has pause()/resume(), so reading one client can be stopped. Neither
   * build: the websocket relay (src/stages/websocket/relay.ts) cannot hold a client back for a
   * slow upstream, and closes it (1013) past its route's maxBackpressure instead. Everything else
   * the relay uses (upgrade with open inside it, send results, getBufferedAmount, drain, end with
   * a code and reason, ping and pong handlers) is the same on both builds.
   */
  readonly webSocketPause: boolean;
  /**
   * What names uWS in the body of its own error pages (the answers of the *Status quirks above),
   * null where it writes none. uWS writes these pages before any handler runs: nothing removes it.
   */
  readonly ownPageSignature: string | null;
}

export interface UwsBuildSpec {
  readonly name: UwsBuildName;
  /** The npm alias it is installed under (package.json dependencies). */
  readonly packageName: string;
  /** Where the binaries lie inside the package ('' for its root). */
  readonly binaryDir: string;
  /** The Node ABI versions (process.versions.modules) it ships binaries for, with their Node majors. */
  readonly nodeAbis: Readonly<Record<string, number>>;
  /** The release it is known by in messages and the README: 20.57, 20.30. */
  readonly release: string;
  /** What it needs, in words, for the message when it does not load. */
  readonly needs: string;
  readonly quirks: UwsQuirks;
}

export const UWS_BUILDS: Readonly<Record<UwsBuildName, UwsBuildSpec>> = {
  current: {
    name: 'current',
    packageName: 'uWebSockets.js',
    binaryDir: '',
    nodeAbis: { 115: 20, 127: 22, 137: 24, 141: 25 },
    release: '20.57',
    needs: 'Node 20, 22, 24 or 25; on Linux glibc 2.38 or newer (Debian 13, Ubuntu 24.04, Fedora 39, RHEL 10)',
    quirks: {
      getMethodLowercasesInPlace: true,
      standardMethodsOnly: false,
      endWithoutBodyLengthAborts: false,
      resumeUnpausedStalls: true,
      http10Status: 505,
      malformedHeaderStatus: 400,
      malformedRequestLineStatus: 505,
      refusedFramingStatus: 400,
      duplicateHostStatus: 400,
      maxHeaderLines: 98,
      tooManyHeadersStatus: 431,
      idleTimeoutSeconds: 30,
      settableTimeouts: true,
      connectionFilter: true,
      webSocketPause: false,
      ownPageSignature: '<i>uWebSockets/20 Server</i>',
    },
  },
  legacy: {
    name: 'legacy',
    packageName: 'uWebSockets.js-legacy',
    binaryDir: 'binaries',
    nodeAbis: { 93: 16, 108: 18, 115: 20 },
    release: '20.30',
    needs: 'Node 16, 18 or 20',
    quirks: {
      getMethodLowercasesInPlace: true,
      standardMethodsOnly: true,
      endWithoutBodyLengthAborts: true,
      resumeUnpausedStalls: true,
      http10Status: null,
      malformedHeaderStatus: null,
      malformedRequestLineStatus: null,
      refusedFramingStatus: null,
      duplicateHostStatus: null,
      maxHeaderLines: 48,
      tooManyHeadersStatus: null,
      idleTimeoutSeconds: 10,
      settableTimeouts: false,
      connectionFilter: false,
      webSocketPause: false,
      ownPageSignature: null,
    },
  },
};
