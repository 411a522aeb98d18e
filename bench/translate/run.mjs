// The cost of JSON <-> MessagePack translation per KB (the translate stage's own functions).
//
//   npm run build && node bench/translate/run.mjs [--seconds 1]
import { performance } from 'node:perf_hooks';
import { jsonToMsgpack, msgpackToJson } from '../../dist/json/msgpack.js';

const at = process.argv.indexOf('--seconds');
const SECONDS = at > 0 ? Number(process.argv[at + 1]) : 1;

function doc(size) {
  const items = [];
  for (let i = 0, length = 0; length < size; i++) {
    const item = { id: i, name: `item ${i}`, price: i * 1.5, tags: ['a', 'b'], active: i % 2 === 0 };
    items.push(item);
    length += JSON.stringify(item).length + 1;
  }
  return { items };
}

function measure(fn, input) {
  for (let i = 0; i < 20; i++) fn(input);
  let n = 0;
  const t0 = performance.now();
  const until = t0 + SECONDS * 1000;
  while (performance.now() < until) {
    fn(input);
    n++;
  }
  return (performance.now() - t0) / n;
}

console.log('| JSON size | JSON -> msgpack µs | µs per KB | msgpack -> JSON µs | µs per KB | msgpack size |');
console.log('|---|---|---|---|---|---|');
for (const size of [1024, 16 * 1024, 256 * 1024]) {
  const json = Buffer.from(JSON.stringify(doc(size)));
  const packed = jsonToMsgpack(json).body;
  const toPack = measure(jsonToMsgpack, json) * 1000;
  const toJson = measure(msgpackToJson, packed) * 1000;
  const kb = json.length / 1024;
  console.log(`| ${json.length} | ${toPack.toFixed(1)} | ${(toPack / kb).toFixed(2)} | ${toJson.toFixed(1)} | ${(toJson / kb).toFixed(2)} | ${packed.length} |`);
}
