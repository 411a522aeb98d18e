// The compiled rules alone: the fixed order, wrap, bytes that are not JSON, and the stage
// left out of a route without `transform`.
import t from 'tap';
import { compileJsonProgram, runJsonProgram } from '../../../dist/stages/transform/json-program.js';
import { transformStage } from '../../../dist/stages/transform/index.js';
import type { RouteConfig } from '../../../dist/config/types.js';
import type { StageDeps } from '../../../dist/pipeline/types.js';

t.test('select, remove, rename, set, wrap run in that order whatever the key order', async (t) => {
  const program = compileJsonProgram({ wrap: 'out', set: { 'b.x': 1 }, rename: { a: 'b.a' }, remove: ['a.drop'], select: ['a'] });
  t.same(program({ a: { keep: 1, drop: 2 }, other: 3 }), { out: { b: { a: { keep: 1 }, x: 1 } } });
  t.same(compileJsonProgram({ wrap: 'a.b' })([1]), { a: { b: [1] } }, 'a dotted wrap nests');
  t.same(compileJsonProgram({ select: ['a'] })('text'), 'text', 'a scalar body is left as it is');
});

t.test('bytes: UTF-8 JSON in, JSON text out; anything else is null', async (t) => {
  const program = compileJsonProgram({ remove: ['x'] });
  t.equal(runJsonProgram(program, Buffer.from('{"x":1,"y":"é"}')), '{"y":"é"}');
  t.equal(runJsonProgram(program, '{"x":1}'), '{}');
  t.equal(runJsonProgram(program, Buffer.from('{"x":')), null);
  t.equal(runJsonProgram(program, Buffer.from([0x22, 0xff, 0x22])), null, 'invalid UTF-8');
});

t.test('a route without transform gets no transform stage', async (t) => {
  const next = (): void => {};
  t.equal(transformStage({ transform: null } as unknown as RouteConfig, {} as StageDeps, next), null);
  t.equal(transformStage({ transform: { request: null, response: null } } as unknown as RouteConfig, {} as StageDeps, next), null);
});
