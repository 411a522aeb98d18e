// The dashboard page's files (HTML, CSS, the browser script), shipped next to this module in
// dist/supervisor/dashboard/page/ (the build copies src/supervisor/dashboard/page/ there) and
// read once when the admin server is made. They hold no figures: the page fetches those from
// GET /dashboard/data with the admin token, so the files answer without it, as the page has to
// load before it can ask for the token. The data endpoint follows the admin API's token rules.
import { readFileSync } from 'node:fs';

/** Served from the admin port: only this origin's own files, no inline code, not framed. */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': DASHBOARD_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
};

export interface PageFile {
  contentType: string;
  body: string;
  headers: Readonly<Record<string, string>>;
}

/** Admin path -> file under page/. The page names its script and style relative to /dashboard. */
const FILES: Readonly<Record<string, { file: string; contentType: string }>> = {
  '/dashboard': { file: 'index.html', contentType: 'text/html; charset=utf-8' },
  '/dashboard/dashboard.js': { file: 'dashboard.js', contentType: 'text/javascript; charset=utf-8' },
  '/dashboard/dashboard.css': { file: 'dashboard.css', contentType: 'text/css; charset=utf-8' },
  '/dashboard/favicon.svg': { file: 'favicon.svg', contentType: 'image/svg+xml' },
};

export const DASHBOARD_DATA_PATH = '/dashboard/data';

/**
 * Reads the page's files (throws when the package lacks them: a broken install). The HTML says
 * whether a token is set (`data-token="required"`), so that the page asks for it before its
 * first fetch instead of after a 401: that much a visitor learns from any 401 anyway.
 */
export function loadDashboardPage(tokenRequired: boolean, dir: URL = new URL('./page/', import.meta.url)): ReadonlyMap<string, PageFile> {
  const out = new Map<string, PageFile>();
  for (const [path, { file, contentType }] of Object.entries(FILES)) {
    let body = readFileSync(new URL(file, dir), 'utf8');
    if (file === 'index.html') body = body.replace('%TOKEN%', tokenRequired ? 'required' : 'none');
    out.set(path, { contentType, body, headers: SECURITY_HEADERS });
  }
  return out;
}
