// A function route: the route is answered by this plugin alone (`respond: { plugin: quote }`),
// no upstream. GET returns a price quote computed from the query; POST takes a JSON body
// ({ "items": [{ "price": 2.5, "qty": 4 }] }) and answers its total with the configured tax.
import { definePlugin, z } from 'tollgate/plugin';

export default definePlugin({
  name: 'quote-function',
  options: z.strictObject({
    taxRate: z.number().min(0).max(1).default(0.2),
    currency: z.string().length(3).default('EUR'),
  }),
  setup({ taxRate, currency }) {
    const total = (net) => ({ net, tax: Math.round(net * taxRate * 100) / 100, total: Math.round(net * (1 + taxRate) * 100) / 100, currency });
    return {
      requestBody: true,
      async handle(req) {
        if (req.method === 'GET') {
          const params = new URLSearchParams(req.query);
          const price = Number(params.get('price'));
          const qty = Number(params.get('qty') ?? '1');
          if (!Number.isFinite(price) || !Number.isFinite(qty)) return { status: 400, json: { error: 'price and qty must be numbers' } };
          return { status: 200, json: total(price * qty) };
        }
        let order;
        try {
          order = JSON.parse(Buffer.from(req.body ?? '').toString('utf8'));
        } catch {
          return { status: 400, json: { error: 'the body is not JSON' } };
        }
        const items = Array.isArray(order?.items) ? order.items : [];
        const net = items.reduce((sum, item) => sum + Number(item.price) * Number(item.qty), 0);
        if (!Number.isFinite(net)) return { status: 400, json: { error: 'every item needs a numeric price and qty' } };
        return { status: 200, headers: { 'x-quoted-by': 'tollgate' }, json: total(net) };
      },
    };
  },
});
