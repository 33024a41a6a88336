import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { COMMAND_WORDS } from '../../src/labels/index.js';
import { BUNDLED_PRODUCTION } from '../helpers/models.js';
import { clipForm, graphqlUpload, testServer } from '../helpers/server.js';
import { encodeWav, sine } from '../helpers/signals.js';

/** 1 s of a pure tone at 16 kHz, 16-bit PCM; amplitude 0.3 is an RMS of -13.5 dBFS, as loud as speech. */
const toneWav = (hz: number): Uint8Array => encodeWav([sine(hz, 16_000, 1, 0.3)], 16_000, 'pcm16');

interface RestPrediction {
  modelVersion: number;
  label: string;
  isUnknown: boolean;
  isSilence: boolean;
  reason: string;
  probabilities: Record<string, number>;
}

describe('the bundled models on pure tones, over REST and GraphQL', () => {
  let server: Awaited<ReturnType<typeof testServer>>;
  before(async () => {
    server = await testServer();
  });
  after(async () => {
    await server.stop();
  });

  // The issue's example: version 1 answered a 1 kHz tone `down` at 74 %. It still answers 440 Hz
  // `no` and 1 kHz `down` (2.5 kHz `unknown`), so for it these run as TODO (reported, not failing the
  // suite). Versions 2 and 3, trained with non-speech negatives, and the default, version 4 (their
  // ensemble with version 1; README, "The bundled models"), must pass. `null` asks without a
  // version: the production alias a fresh repository serves.
  const todo = 'the bundled version 1 was trained without non-speech negatives (issue 14)';
  for (const [asked, options] of [
    [1, { todo }],
    [2, {}],
    [3, {}],
    [4, {}],
    [null, {}],
  ] as const) {
    const version = asked ?? BUNDLED_PRODUCTION;
    const query = asked === null ? '' : `?modelVersion=${asked}`;
    const argument = asked === null ? '' : `, modelVersion: ${asked}`;
    for (const hz of [440, 1000, 2500]) {
      it(
        `${asked === null ? `the default (version ${version})` : `version ${version}`} answers a ${hz} Hz tone with unknown or silence, never a command, and says so`,
        options,
        async () => {
          const bytes = toneWav(hz);
          const response = await fetch(`${server.url}/v1/clips${query}`, {
            method: 'POST',
            body: clipForm([{ name: `tone-${hz}.wav`, bytes }]),
          });
          assert.equal(response.status, 200);
          const rest = ((await response.json()) as { clips: Array<{ prediction: RestPrediction }> }).clips[0]!
            .prediction;
          assert.equal(rest.modelVersion, version);
          assert.ok(!(COMMAND_WORDS as readonly string[]).includes(rest.label), `${hz} Hz answered ${rest.label}`);
          assert.ok(rest.isUnknown || rest.isSilence, JSON.stringify(rest));

          const gqlBody = await graphqlUpload(
            server.url,
            `mutation ($files: [Upload!]!) { classifyClips(files: $files${argument}) { prediction { label isUnknown isSilence reason modelVersion probabilities { label probability } } } }`,
            [{ name: `tone-${hz}.wav`, bytes }],
          );
          assert.equal(gqlBody.errors, undefined, JSON.stringify(gqlBody.errors));
          type Answer = Omit<RestPrediction, 'probabilities'> & {
            modelVersion: number;
            probabilities: Array<{ label: string; probability: number }>;
          };
          const answer = (gqlBody.data?.['classifyClips'] as Array<{ prediction: Answer }>)[0]!.prediction;
          assert.equal(answer.modelVersion, version);
          assert.deepEqual(
            { label: answer.label, isUnknown: answer.isUnknown, isSilence: answer.isSilence, reason: answer.reason },
            { label: rest.label, isUnknown: rest.isUnknown, isSilence: rest.isSilence, reason: rest.reason },
          );
          assert.deepEqual(answer.probabilities.map((p) => p.label).sort(), Object.keys(rest.probabilities).sort());
          assert.equal(answer.probabilities.length, 12);
          for (const { label, probability } of answer.probabilities)
            assert.ok(Math.abs(probability - rest.probabilities[label]!) < 1e-6, label);
        },
      );
    }
  }

  // Found by a new-user trial: a 6 kHz tone near full scale is answered `yes` (61-72 %) by the
  // default, version 4 (and by versions 1 and 3); version 2 answers it `unknown`. TODO until a
  // default that rejects it (issue 14).
  it(
    'the default answers a loud 6 kHz tone with unknown or silence, never a command',
    { todo: 'version 4 answers a 6 kHz tone at amplitude 0.9 `yes` (issue 14)' },
    async () => {
      const bytes = encodeWav([sine(6000, 16_000, 1, 0.9)], 16_000, 'pcm16');
      const response = await fetch(`${server.url}/v1/clips`, {
        method: 'POST',
        body: clipForm([{ name: 'tone-6000-loud.wav', bytes }]),
      });
      assert.equal(response.status, 200);
      const rest = ((await response.json()) as { clips: Array<{ prediction: RestPrediction }> }).clips[0]!.prediction;
      assert.equal(rest.modelVersion, BUNDLED_PRODUCTION);
      assert.ok(!(COMMAND_WORDS as readonly string[]).includes(rest.label), `6 kHz answered ${rest.label}`);
    },
  );
});
