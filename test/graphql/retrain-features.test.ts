import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { graphqlExecutor } from '../helpers/graphql.js';
import type { GraphqlExecutor } from '../helpers/graphql.js';
import { tempDir } from '../helpers/signals.js';
import { modelRepository, testServer } from '../helpers/server.js';

describe('retrain(input: { features }) over GraphQL', () => {
  let server: Awaited<ReturnType<typeof testServer>>;
  let gql: GraphqlExecutor;
  let dataDir: string;

  before(async () => {
    server = await testServer({ modelsDir: modelRepository(1), scoreRoots: [tmpdir()] });
    gql = await graphqlExecutor(server);
    dataDir = join(tempDir('kws-retrain-features-'), 'dataset');
    mkdirSync(join(dataDir, 'yes'), { recursive: true });
  });
  after(async () => {
    await gql.stop();
    await server.stop();
    assert.deepEqual(gql.unexpected, [], 'no resolver threw an unexpected error');
  });

  it('refuses a bad FeatureConfig field on submission with INVALID_FEATURE_CONFIG naming it', async () => {
    const cases: Array<[string, string]> = [
      ['{ type: "pcen2" }', 'FeatureConfig.type must be one of log-mel, mfcc, pcen, waveform, got "pcen2"'],
      ['{ type: "pcen", pcenGain: 2 }', 'FeatureConfig.pcenGain must be a number in [0, 1], got 2'],
      ['{ normalization: "global" }', 'FeatureConfig.normalization must be one of none, utterance-cmvn, got "global"'],
    ];
    for (const [features, message] of cases) {
      const result = await gql(
        `mutation ($dir: String!) { retrain(input: { dataDir: $dir, features: ${features} }) { id } }`,
        {
          dir: dataDir,
        },
      );
      assert.equal(result.errors?.[0]?.extensions?.code, 'INVALID_FEATURE_CONFIG', features);
      assert.equal(result.errors?.[0]?.message, message);
    }
  });

  it('stores the given PCEN fields, without the null ones, in the training job', async () => {
    const result = await gql(
      `mutation ($dir: String!) { retrain(input: { dataDir: $dir, epochs: 1, features: { type: "pcen", pcenSmoothing: 0.04, melBins: null } }) { id } }`,
      { dir: dataDir },
    );
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    const id = Number((result.data?.['retrain'] as { id: string }).id);
    assert.deepEqual(server.jobs.store.require(id).params, {
      dataDir,
      epochs: 1,
      features: { type: 'pcen', pcenSmoothing: 0.04 },
    });
    await server.jobs.cancel(id).catch(() => undefined); // it would fail anyway: the dataset has no clips
  });
});
