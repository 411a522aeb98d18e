// TEMPORARY hand-written shape of the normalised config. The config helper replaces this file
// with types derived from the one schema (z.output<...>), keeping exactly these names and shapes.
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface TargetConfig { url: string; weight: number }
export interface UpstreamConfig {
  targets: TargetConfig[];
  balance: 'round-robin';
  connections: number;
  timeout: { connect: number; response: number };
}
export interface HeaderOps { set: Record<string, string>; remove: string[] }
export interface RespondConfig {
  status: number;
  json?: unknown;
  body?: string;
  headers: Record<string, string>;
}
export interface RouteConfig {
  id: string;
  match: { path: string; methods: string[] | null; host: string | null };
  upstream: string | null;
  rewrite: string | null;
  headers: { request: HeaderOps; response: HeaderOps };
  timeout: number | null;
  respond: RespondConfig | null;
}
export interface GatewayConfig {
  listen: { host: string; port: number; tls?: { certFile: string; keyFile: string } | undefined };
  workers: number | 'auto';
  dataDir: string;
  shutdownTimeout: number;
  limits: { maxBodySize: number; requestTimeout: number; maxHeaderSize: number };
  trustedProxies: string[];
  log: { level: LogLevel; access: boolean; sampling: number };
  admin: { host: string; port: number; token: string };
  upstreams: Record<string, UpstreamConfig>;
  routes: RouteConfig[];
}
