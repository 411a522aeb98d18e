// Route `transform`: declarative changes to JSON bodies on the way up (request) and down
// (response), with the dot paths aggregation uses. How the rules of one direction relate
// (a rename of a removed field, a removal outside the selection) is checked in
// ../checks/transform.ts.
import { z } from 'zod';
import { jsonPath } from './aggregate.js';
import { orNull, size } from './scalars.js';

const paths = z.array(jsonPath).min(1, { error: 'list at least one field path (or leave the key out)' });
const renames = z.record(jsonPath, jsonPath).meta({ description: 'Move fields: { from: to } (dot paths, parents created), in the order written' });
const removals = paths.meta({ description: 'Drop these fields (dot paths; through a list, from each element)' });

const onInvalid = (failure: string) =>
  z.enum(['error', 'pass']).default('error').meta({
    description: `A body labelled JSON that does not parse: error answers ${failure}; pass sends it on untouched`,
  });

export const transformSchema = z.strictObject({
  request: orNull(z.strictObject({
    json: z.strictObject({
      remove: orNull(removals),
      rename: orNull(renames),
      set: orNull(z.record(jsonPath, z.unknown()).meta({ description: 'Set fields to JSON values: { path: value } (parents created; through a list, in each element)' })),
    }).meta({ description: 'Applied to application/json and +json request bodies (read whole, up to limits.maxBodySize) in the order remove, rename, set' }),
    onInvalid: onInvalid('400 (a problem answer)'),
  }).meta({ description: 'Changes to the client\'s JSON body before it goes upstream' })),
  response: orNull(z.strictObject({
    json: z.strictObject({
      select: orNull(paths.meta({ description: 'Keep only these fields (dot paths; through a list, of each element)' })),
      remove: orNull(removals),
      rename: orNull(renames),
      wrap: orNull(jsonPath.meta({ description: 'Put the body under this key: { key: body } (a dot path nests it: a.b gives { a: { b: body } })' })),
    }).meta({ description: 'Applied to 2xx application/json and +json answers in the order select, remove, rename, wrap' }),
    onInvalid: onInvalid('502 (a problem answer)'),
    maxBody: size({ min: 1 }).prefault('1mb').meta({
      description: 'Largest answer body transformed; a larger one (announced or growing past it) streams through untransformed, with a logged warning',
    }),
  }).meta({ description: 'Changes to 2xx JSON answers (from the upstream, or aggregated) before the client gets them' })),
});

export type TransformConfig = z.output<typeof transformSchema>;
