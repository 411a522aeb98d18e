// One fuzz case: a well-formed request stream of one to three requests, then zero to three
// mutations. Everything is drawn from the case's own seed, so case N of seed S is the same
// bytes on every run.
import { caseSeed, createRng } from './prng.js';
import { keyOf, serializeStream, wellFormedMessage } from './messages.js';
import { STRUCTURED, mutateBytes, type Stream } from './mutators.js';

export interface FuzzCase {
  /** Unique in a run; the number in every generated key (`k<index>x<message>`). */
  index: number;
  /** Where it came from: `seed S case N`, or a regression file. */
  origin: string;
  bytes: Buffer;
  mutations: string[];
}

export function generateCase(runSeed: number, index: number): FuzzCase {
  const rng = createRng(caseSeed(runSeed, index));
  const count = rng.chance(0.6) ? 1 : rng.chance(0.75) ? 2 : 3;
  const stream: Stream = { caseIndex: index, messages: [], prefix: '', suffix: '' };
  for (let m = 0; m < count; m++) stream.messages.push(wellFormedMessage(rng, keyOf(index, m), m === count - 1));
  const mutations: string[] = [];
  const rounds = rng.pick([0, 0, 1, 1, 1, 1, 2, 2, 2, 3]);
  let byteRounds = 0;
  for (let r = 0; r < rounds; r++) {
    if (rng.chance(0.12)) {
      byteRounds++;
      continue;
    }
    const [name, mutate] = rng.pick(STRUCTURED);
    const label = mutate(stream, rng);
    if (label !== null) mutations.push(`${name}: ${label}`);
  }
  let bytes = serializeStream(stream.messages, stream.prefix, stream.suffix);
  for (let r = 0; r < byteRounds; r++) {
    const [out, label] = mutateBytes(bytes, rng);
    bytes = out;
    mutations.push(`bytes: ${label}`);
  }
  return { index, origin: `seed ${runSeed} case ${index}`, bytes, mutations };
}
