// The normalised config, as the loader returns it: derived from the one schema (schema/index.ts),
// so validation, these types and config/tollgate.schema.json cannot drift apart.
import type { z } from 'zod';
import type { gatewaySchema } from './schema/index.js';
import type { respondSchema } from './schema/routes.js';
import type { LOG_LEVELS } from './schema/server.js';

export type GatewayConfig = z.output<typeof gatewaySchema>;
export type UpstreamConfig = GatewayConfig['upstreams'][string];
export type TargetConfig = UpstreamConfig['targets'][number];
export type RouteConfig = GatewayConfig['routes'][number];
export type HeaderOps = RouteConfig['headers']['request'];
export type RespondConfig = z.output<typeof respondSchema>;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type AuthConfig = GatewayConfig['auth'];
export type JwtProviderConfig = AuthConfig['jwt'][string];
export type ApiKeyConfig = NonNullable<AuthConfig['apiKey']>;
export type ConsumerConfig = GatewayConfig['consumers'][string];
