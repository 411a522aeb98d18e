#!/usr/bin/env node
// @fastify/http-proxy (fastify + @fastify/reply-from over undici) as a plain proxy to one upstream.
// usage: node native-bench/peers/fastify-http-proxy.mjs --upstream http://127.0.0.1:PORT --port N
import { parseArgs } from 'node:util';
import proxy from '@fastify/http-proxy';
import Fastify from 'fastify';

const { values } = parseArgs({ options: { port: { type: 'string' }, upstream: { type: 'string' } } });
if (!values.upstream || !values.port) throw new Error('--upstream URL and --port N are required');

const app = Fastify({ logger: false });
await app.register(proxy, { upstream: values.upstream });
await app.listen({ host: '127.0.0.1', port: Number(values.port) });
process.stdout.write(`${JSON.stringify({ msg: 'listening', port: Number(values.port) })}\n`);
for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, () => app.close().finally(() => process.exit(0)));
