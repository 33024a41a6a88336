import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { COMMAND_WORDS } from '../../src/labels/index.js';
import { BUNDLED_PRODUCTION } from '../helpers/models.js';
import { clipForm, graphql, graphqlUpload, metricValue, testServer } from '../helpers/server.js';
import { encodeWav, sine, tempDir } from '../helpers/signals.js';
import { lines, runKws } from '../helpers/cli.js';

/** 1 s of a pure tone at 16 kHz, 16-bit PCM; amplitude 0.3 is an RMS of -13.5 dBFS, as loud as speech. */
const toneWav = (hz: number): Uint8Array => encodeWav([sine(hz, 16_000, 1, 0.3)], 16_000, 'pcm16');

interface RestPrediction {
  modelVersion: number;
  label: string;
  rawLabel: string;
  isUnknown: boolean;
  isSilence: boolean;
  reason: string;
  peakConcentration: number;
  stationarity: number;
  probabilities: Record<string, number>;
}

/** Posts one WAV to `POST /v1/clips` (the production version unless `query` names one) and returns its prediction. */
async function restPrediction(url: string, name: string, bytes: Uint8Array, query = ''): Promise<RestPrediction> {
  const response = await fetch(`${url}/v1/clips${query}`, { method: 'POST', body: clipForm([{ name, bytes }]) });
  assert.equal(response.status, 200);
  return ((await response.json()) as { clips: Array<{ prediction: RestPrediction }> }).clips[0]!.prediction;
}

describe('the bundled models on pure tones, over REST and GraphQL', () => {
  let server: Awaited<ReturnType<typeof testServer>>;
  before(async () => {
    server = await testServer();
  });
  after(async () => {
    await server.stop();
  });

  // The issue's example: version 1 answered a 1 kHz tone `down` at 74 %. Its model still answers
  // 440 Hz `no` and 1 kHz `down` (raw labels), and the non-speech rule turns those answers `unknown`
  // (README, "The non-speech rule"). Versions 2 and 3, trained with non-speech negatives, and the
  // default, version 4 (their ensemble with version 1; README, "The bundled models"), answer them
  // `unknown` themselves. `null` asks without a version: the production alias a fresh repository serves.
  for (const asked of [1, 2, 3, 4, null] as const) {
    const version = asked ?? BUNDLED_PRODUCTION;
    const query = asked === null ? '' : `?modelVersion=${asked}`;
    const argument = asked === null ? '' : `, modelVersion: ${asked}`;
    for (const hz of [440, 1000, 2500]) {
      it(`${asked === null ? `the default (version ${version})` : `version ${version}`} answers a ${hz} Hz tone with unknown or silence, never a command, and says so`, async () => {
        const bytes = toneWav(hz);
        const rest = await restPrediction(server.url, `tone-${hz}.wav`, bytes, query);
        assert.equal(rest.modelVersion, version);
        assert.ok(rest.peakConcentration > 0.999, String(rest.peakConcentration));
        assert.ok(!(COMMAND_WORDS as readonly string[]).includes(rest.label), `${hz} Hz answered ${rest.label}`);
        assert.ok(rest.isUnknown || rest.isSilence, JSON.stringify(rest));

        const gqlBody = await graphqlUpload(
          server.url,
          `mutation ($files: [Upload!]!) { classifyClips(files: $files${argument}) { prediction { label isUnknown isSilence reason modelVersion peakConcentration stationarity probabilities { label probability } } } }`,
          [{ name: `tone-${hz}.wav`, bytes }],
        );
        assert.equal(gqlBody.errors, undefined, JSON.stringify(gqlBody.errors));
        type Answer = Omit<RestPrediction, 'probabilities' | 'rawLabel'> & {
          modelVersion: number;
          probabilities: Array<{ label: string; probability: number }>;
        };
        const answer = (gqlBody.data?.['classifyClips'] as Array<{ prediction: Answer }>)[0]!.prediction;
        assert.equal(answer.modelVersion, version);
        const same = ({
          label,
          isUnknown,
          isSilence,
          reason,
          peakConcentration,
          stationarity,
        }: RestPrediction | Answer) => ({ label, isUnknown, isSilence, reason, peakConcentration, stationarity });
        assert.deepEqual(same(answer), same(rest));
        assert.deepEqual(answer.probabilities.map((p) => p.label).sort(), Object.keys(rest.probabilities).sort());
        assert.equal(answer.probabilities.length, 12);
        for (const { label, probability } of answer.probabilities)
          assert.ok(Math.abs(probability - rest.probabilities[label]!) < 1e-6, label);
      });
    }
  }

  // Found by a new-user trial: a 6 kHz tone near full scale is answered `yes` (61-72 %) by the
  // default's model (version 4, and by versions 1 and 3); the non-speech rule answers it `unknown`.
  // So does a click train, which version 4's model hears as `up`; a quiet tone stays `silence`.
  it('the default answers a loud 6 kHz tone and a click train `unknown` by the non-speech rule, over the model’s command', async () => {
    const clicks = new Float64Array(16_000);
    for (let n = 0; n < clicks.length; n += 1600) clicks[n] = 0.9;
    for (const [name, samples, rawLabel] of [
      ['tone-6000-loud.wav', sine(6000, 16_000, 1, 0.9), 'yes'],
      ['clicks-10-hz.wav', clicks, 'up'],
    ] as const) {
      const rest = await restPrediction(server.url, name, encodeWav([samples], 16_000, 'pcm16'));
      assert.equal(rest.modelVersion, BUNDLED_PRODUCTION);
      assert.deepEqual(
        { label: rest.label, rawLabel: rest.rawLabel, reason: rest.reason, isUnknown: rest.isUnknown },
        { label: 'unknown', rawLabel, reason: 'NON_SPEECH', isUnknown: true },
        name,
      );
    }
  });

  it('Clip.prediction applies the rule too: for another version computed on read, and for a row cached before shapes were kept', async () => {
    const response = await fetch(`${server.url}/v1/clips`, {
      method: 'POST',
      body: clipForm([
        { name: 'tone-6000-stored.wav', bytes: encodeWav([sine(6000, 16_000, 1, 0.9)], 16_000, 'pcm16') },
      ]),
    });
    const id = ((await response.json()) as { clips: Array<{ id: string }> }).clips[0]!.id;
    const ask = async (argument: string) => {
      const body = await graphql(
        server.url,
        `{ clip(id: "${id}") { prediction${argument} { label rawLabel reason modelVersion peakConcentration } } }`,
      );
      assert.equal(body.errors, undefined, JSON.stringify(body.errors));
      return (body.data?.['clip'] as { prediction: Record<string, unknown> }).prediction;
    };
    // Version 1 was never asked for this clip: its output is computed now, from the stored bytes.
    const v1 = await ask('(modelVersion: 1)');
    assert.deepEqual(
      { ...v1, peakConcentration: undefined },
      {
        label: 'unknown',
        rawLabel: 'yes',
        reason: 'NON_SPEECH',
        modelVersion: 1,
        peakConcentration: undefined,
      },
    );
    assert.ok((v1['peakConcentration'] as number) > 0.999);
    // A row stored by a release before the rule has no shape: it is computed again, not served as it is.
    const db = new Database(join(server.dataDir, 'kws.db'));
    try {
      const changed = db
        .prepare('UPDATE predictions SET peak_concentration = NULL, stationarity = NULL, label = ? WHERE clip_id = ?')
        .run('yes', Number(id)).changes;
      assert.equal(changed, 2, 'the production version’s row and version 1’s');
    } finally {
      db.close();
    }
    const again = await ask('');
    assert.equal(again['reason'], 'NON_SPEECH');
    assert.ok((again['peakConcentration'] as number) > 0.999);
    const filtered = await graphql(server.url, '{ clips(label: yes, first: 50) { edges { node { id } } } }');
    assert.ok(
      !(filtered.data?.['clips'] as { edges: Array<{ node: { id: string } }> }).edges.some((e) => e.node.id === id),
      'the recomputed row is stored with its label, unknown',
    );
  });

  it('a request can turn the rule off (nonSpeechRule false) over REST, GraphQL and kws classify, and sees the model’s own answer', async () => {
    const bytes = encodeWav([sine(6000, 16_000, 1, 0.9)], 16_000, 'pcm16');
    const rest = await restPrediction(server.url, 'tone-6000-off.wav', bytes, '?nonSpeechRule=false');
    assert.deepEqual(
      {
        label: rest.label,
        reason: rest.reason,
        rule: (rest as unknown as { thresholds: { nonSpeechRule: boolean } }).thresholds.nonSpeechRule,
      },
      { label: 'yes', reason: 'MODEL', rule: false },
    );
    const on = await restPrediction(server.url, 'tone-6000-on.wav', bytes, '?nonSpeechRule=true');
    assert.equal(on.reason, 'NON_SPEECH');

    const uploaded = await graphqlUpload(
      server.url,
      'mutation ($files: [Upload!]!) { classifyClips(files: $files, nonSpeechRule: false) { clip { id } prediction { label reason thresholds { nonSpeechRule } } } }',
      [{ name: 'tone-6000-gql.wav', bytes }],
    );
    assert.equal(uploaded.errors, undefined, JSON.stringify(uploaded.errors));
    const [result] = uploaded.data?.['classifyClips'] as Array<{
      clip: { id: string };
      prediction: { label: string; reason: string; thresholds: { nonSpeechRule: boolean } };
    }>;
    assert.deepEqual(result!.prediction, { label: 'yes', reason: 'MODEL', thresholds: { nonSpeechRule: false } });
    // The stored prediction is the clip's; each read applies its own request's switch.
    const read = await graphql(
      server.url,
      `{ clip(id: "${result!.clip.id}") { off: prediction(nonSpeechRule: false) { label reason } on: prediction { label reason thresholds { nonSpeechRule } } } }`,
    );
    assert.deepEqual(read.data?.['clip'], {
      off: { label: 'yes', reason: 'MODEL' },
      on: { label: 'unknown', reason: 'NON_SPEECH', thresholds: { nonSpeechRule: true } },
    });

    const refused = await fetch(`${server.url}/v1/clips?nonSpeechRule=no`, {
      method: 'POST',
      body: clipForm([{ name: 'tone.wav', bytes }]),
    });
    assert.equal(refused.status, 400);
    assert.match(
      ((await refused.json()) as { error: { message: string } }).error.message,
      /nonSpeechRule must be true or false, got "?no/,
    );

    const dir = tempDir('kws-non-speech-cli-');
    try {
      const file = join(dir, 'tone.wav');
      writeFileSync(file, bytes);
      const models = ['--data-dir', join(dir, 'var')];
      const answers = await Promise.all(
        [[], ['--no-non-speech-rule']].map(async (flag) => {
          const run = await runKws('classify', '--json', ...flag, file, ...models);
          assert.equal(run.status, 0, run.stderr);
          const { label, reason, thresholds } = JSON.parse(lines(run)[0]!) as {
            label: string;
            reason: string;
            thresholds: unknown;
          };
          return { label, reason, thresholds };
        }),
      );
      // The thresholds object is REST's for the same request, the switch included.
      const restThresholds = (p: RestPrediction): unknown => (p as unknown as { thresholds: unknown }).thresholds;
      assert.deepEqual(answers, [
        { label: 'unknown', reason: 'NON_SPEECH', thresholds: restThresholds(on) },
        { label: 'yes', reason: 'MODEL', thresholds: restThresholds(rest) },
      ]);
      assert.equal((answers[1]!.thresholds as { nonSpeechRule: boolean }).nonSpeechRule, false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('counts answers by version, label and reason in kws_answers_total, whichever transport carried the clip', async () => {
    const name = `kws_answers_total{model_version="${BUNDLED_PRODUCTION}",label="unknown",reason="NON_SPEECH"}`;
    const before = metricValue(await (await fetch(`${server.url}/metrics`)).text(), name);
    const bytes = encodeWav([sine(6000, 16_000, 1, 0.9)], 16_000, 'pcm16');
    assert.equal((await restPrediction(server.url, 'tone-metric.wav', bytes)).reason, 'NON_SPEECH');
    const uploaded = await graphqlUpload(
      server.url,
      'mutation ($files: [Upload!]!) { classifyClips(files: $files) { prediction { reason } } }',
      [{ name: 'tone-metric.wav', bytes }],
    );
    assert.equal(uploaded.errors, undefined, JSON.stringify(uploaded.errors));
    const after = metricValue(await (await fetch(`${server.url}/metrics`)).text(), name);
    assert.equal(after - before, 2);
  });
});
