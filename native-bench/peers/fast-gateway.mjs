#!/usr/bin/env node
// fast-gateway (restana + fast-proxy-lite) as a plain proxy to one upstream, as its README shows it.
// usage: node native-bench/peers/fast-gateway.mjs --upstream http://127.0.0.1:PORT --port N
import { parseArgs } from 'node:util';
import gateway from 'fast-gateway';

const { values } = parseArgs({ options: { port: { type: 'string' }, upstream: { type: 'string' } } });
if (!values.upstream || !values.port) throw new Error('--upstream URL and --port N are required');

// An empty prefix with the default pathRegex "/*" forwards every path unchanged.
const server = gateway({ routes: [{ prefix: '', target: values.upstream }] });
await server.start(Number(values.port), '127.0.0.1');
process.stdout.write(`${JSON.stringify({ msg: 'listening', port: Number(values.port) })}\n`);
for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, () => server.close().finally(() => process.exit(0)));
