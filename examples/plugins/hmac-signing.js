// HMAC request signing towards an upstream: every request the route forwards carries
//   X-Signature-Timestamp: <unix seconds>
//   X-Signature: v1=<hex HMAC-SHA256 of "timestamp\nMETHOD\npath?query\nsha256(body)">
// with a secret shared with the upstream, which recomputes it (see test/plugins/examples.test.ts
// for a verifier in a few lines of node:crypto). The body is read whole (requestBody), within
// the plugin's maxBodySize.
import { createHash, createHmac } from 'node:crypto';
import { definePlugin, z } from 'tollgate/plugin';

export default definePlugin({
  name: 'hmac-signing',
  options: z.strictObject({
    secret: z.string().min(16, 'use a secret of at least 16 characters'),
    header: z.string().min(1).default('x-signature'),
  }),
  setup({ secret, header }) {
    return {
      requestBody: true,
      onRequest(req) {
        const timestamp = String(Math.floor(Date.now() / 1000));
        const target = req.query === '' ? req.path : `${req.path}?${req.query}`;
        const bodyHash = createHash('sha256').update(req.body ?? '').digest('hex');
        const signed = `${timestamp}\n${req.method}\n${target}\n${bodyHash}`;
        req.headers.set(`${header}-timestamp`, timestamp);
        req.headers.set(header, `v1=${createHmac('sha256', secret).update(signed).digest('hex')}`);
      },
    };
  },
});
