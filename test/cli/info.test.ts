import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { KWS_VERSION, lines, runKws, spawnKws } from '../helpers/cli.js';
import { fixture, realDataDir, tempDir } from '../helpers/signals.js';

describe('kws info', () => {
  it('reports 16 kHz and 1000 ms for every clip of the real v0.02 test set, with 98 x 40 features', () => {
    const dir = join(realDataDir(), 'pico-testset-v0.02');
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.wav'))
      .map((f) => join(dir, f));
    assert.equal(files.length, 1800);
    const run = spawnKws(['info', '--json', ...files]);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(lines(run).length, 1800);
    for (const line of lines(run)) {
      const result = JSON.parse(line) as Record<string, unknown>;
      assert.deepEqual(
        {
          ok: result['ok'],
          container: result['container'],
          codec: result['codec'],
          sourceSampleRate: result['sourceSampleRate'],
          channels: result['channels'],
          durationMs: result['durationMs'],
          frames: result['frames'],
          melBins: result['melBins'],
        },
        {
          ok: true,
          container: 'wav',
          codec: 'pcm_s16le',
          sourceSampleRate: 16000,
          channels: 1,
          durationMs: 1000,
          frames: 98,
          melBins: 40,
        },
        String(result['file']),
      );
      assert.equal(typeof result['rmsDbfs'], 'number');
    }
  });

  it('prints one JSON object per file in the documented shape, errors included, and exits 1', () => {
    const dir = tempDir('kws-info-');
    const notAudio = join(dir, 'notes.wav');
    writeFileSync(notAudio, 'these are my notes');
    const fakeMp3 = join(dir, 'fake.mp3');
    writeFileSync(fakeMp3, Buffer.from([0xff, 0xfb, ...Buffer.from('xxxxxxxxxxxxxxxx')]));
    const opus = fixture('sine-1k-48000-mono.opus');
    // A child process: "nothing on stderr" covers the decoders too, which could write to the process's stream directly.
    const run = spawnKws(['info', '--json', opus, notAudio, join(dir, 'missing.wav'), dir, fakeMp3]);
    const out = lines(run);
    assert.equal(run.status, 1);
    assert.equal(run.stderr, '', 'no stack trace or warning for bad input');
    assert.deepEqual(JSON.parse(out[0]!), {
      file: opus,
      ok: true,
      container: 'ogg',
      codec: 'opus',
      sourceSampleRate: 48000,
      channels: 1,
      durationMs: 500,
      rmsDbfs: -9.03,
      frames: 98,
      melBins: 40,
    });
    assert.deepEqual(JSON.parse(out[1]!), {
      file: notAudio,
      ok: false,
      code: 'NOT_AUDIO',
      message: 'the bytes are not a recognised audio format (expected WAV, FLAC, MP3, Ogg Vorbis/Opus or WebM Opus)',
    });
    assert.deepEqual(JSON.parse(out[2]!), {
      file: join(dir, 'missing.wav'),
      ok: false,
      code: 'FILE_NOT_FOUND',
      message: `${join(dir, 'missing.wav')} does not exist`,
    });
    assert.deepEqual(JSON.parse(out[3]!), {
      file: dir,
      ok: false,
      code: 'FILE_UNREADABLE',
      message: `${dir} is not a regular file`,
    });
    assert.equal(
      (JSON.parse(out[4]!) as { code: string }).code,
      'NOT_AUDIO',
      'the MPEG decoder does not write to stderr either',
    );
  });

  it('prints a readable line per file without --json', async () => {
    const run = await runKws('info', join(realDataDir(), 'arm-mlek/kws/samples/right_left_up.wav'));
    assert.equal(run.status, 0);
    assert.match(
      lines(run)[0]!,
      /right_left_up\.wav: wav\/pcm_s16le 16000 Hz 1 ch, 3000 ms, -27\.\d+ dBFS -> features 98x40$/,
    );
  });

  it('honours --max-duration-ms and rejects a value that is not a positive number', async () => {
    const clip = join(realDataDir(), 'tflite-micro/testdata/yes_1000ms.wav');
    const limited = await runKws('info', '--json', '--max-duration-ms', '500', clip);
    assert.equal(limited.status, 1);
    assert.equal((JSON.parse(lines(limited)[0]!) as { code: string }).code, 'TOO_LONG');
    const invalid = await runKws('info', '--max-duration-ms', 'soon', clip);
    assert.equal(invalid.status, 2, 'usage errors exit 2, decode failures 1');
    assert.match(invalid.stderr, /expected a positive number of ms, got "soon"/);
    assert.equal((await runKws('info', '--no-such-option', clip)).status, 2);
    const version = await runKws('--version');
    assert.equal(version.status, 0);
    assert.equal(version.stdout, `${KWS_VERSION}\n`);
  });
});
