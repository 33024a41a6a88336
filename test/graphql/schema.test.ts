import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { printKwsSchema } from '../../src/graphql/index.js';

describe('GraphQL schema', () => {
  it('matches the committed schema/schema.graphql (run npm run schema after changing resolvers)', () => {
    assert.equal(printKwsSchema(), readFileSync(resolve(import.meta.dirname, '../../schema/schema.graphql'), 'utf8'));
  });

  it('exposes the operations the README documents', () => {
    const sdl = printKwsSchema();
    for (const field of [
      'clip(id: ID!): Clip',
      'clips(',
      'classifyClips(',
      'modelVersions: [ModelVersion!]!',
      'modelVersion(version: Int!): ModelVersion',
      'scalar Upload',
    ])
      assert.ok(sdl.includes(field), field);
  });
});
