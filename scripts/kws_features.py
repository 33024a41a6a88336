#!/usr/bin/env python3
"""kws-serve's log-mel front end in NumPy, for models trained outside kws-serve (then `kws import`).

A model imported into kws-serve is fed kws-serve's features, so it must be trained on the same
numbers. This module computes them from a FeatureConfig (the JSON given to `kws import --features`;
fields left out take kws-serve's defaults), for the log-mel type without normalisation:

  per frame t: samples [t*hop, t*hop + window) times a periodic Hann window, zero-padded to fftSize,
  power spectrum |X[k]|^2, triangular HTK mel filters spaced evenly in mel between fMinHz and fMaxHz
  (weights linear in mel, the DC bin left out, as tf.signal.linear_to_mel_weight_matrix builds them),
  then ln(max(energy, logFloor)).

It agrees with kws-serve's extractor (src/features/extractor.ts) within 1e-3 on real clips
(test/features/python-features.test.ts). Note: torchaudio's MelSpectrogram builds its filters
linear in Hz, not in mel, so its features differ; use this module (or port it) instead.

Use it in a PyTorch Dataset:
    from kws_features import log_mel
    x = log_mel(samples)            # samples: float in [-1, 1], 16 kHz, 16000 of them -> [98, 40]
    x = torch.from_numpy(x)[None]   # [1, 98, 40] for a Conv2d model (NCHW once batched)

As a command (what the test runs): kws_features.py CONFIG.json < samples.f32 > features.f32, with
float32 little-endian samples in and [frames, bins] float32 out.
"""
import json
import sys

import numpy as np

DEFAULTS = {
    'type': 'log-mel',
    'sampleRateHz': 16000,
    'clipSamples': 16000,
    'windowSamples': 480,
    'hopSamples': 160,
    'fftSize': 512,
    'melBins': 40,
    'fMinHz': 20.0,
    'fMaxHz': 7600.0,
    'logFloor': 1e-6,
    'normalization': 'none',
}


def hz_to_mel(hz):
    """HTK mel scale: 2595 log10(1 + f / 700)."""
    return 2595.0 * np.log10(1.0 + np.asarray(hz, dtype=np.float64) / 700.0)


def mel_filterbank(config):
    """[melBins, fftSize // 2 + 1] weights: triangles linear in mel, the DC bin 0."""
    bins = config['fftSize'] // 2 + 1
    lo = hz_to_mel(config['fMinHz'])
    step = (hz_to_mel(config['fMaxHz']) - lo) / (config['melBins'] + 1)
    bin_mel = hz_to_mel(np.arange(bins) * config['sampleRateHz'] / config['fftSize'])
    weights = np.zeros((config['melBins'], bins))
    for m in range(config['melBins']):
        lower, center = lo + m * step, lo + (m + 1) * step
        upper = center + step
        up = (bin_mel - lower) / (center - lower)
        down = (upper - bin_mel) / (upper - center)
        weights[m] = np.maximum(0.0, np.minimum(up, down))
    weights[:, 0] = 0.0
    return weights


def resolve(config=None):
    """The config with kws-serve's defaults for the fields it leaves out; refuses what this module does not compute."""
    merged = {**DEFAULTS, **(config or {})}
    if merged['type'] != 'log-mel' or merged['normalization'] != 'none':
        raise ValueError('this reference computes log-mel features without normalisation only')
    return merged


def log_mel(samples, config=None):
    """[frames, melBins] float32 log-mel features of one clip (float samples in [-1, 1], clipSamples of them)."""
    c = resolve(config)
    x = np.asarray(samples, dtype=np.float64)
    window = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(c['windowSamples']) / c['windowSamples'])
    frames = 1 + (c['clipSamples'] - c['windowSamples']) // c['hopSamples']
    starts = np.arange(frames) * c['hopSamples']
    framed = np.stack([x[s : s + c['windowSamples']] for s in starts]) * window
    power = np.abs(np.fft.rfft(framed, n=c['fftSize'], axis=1)) ** 2
    energy = power @ mel_filterbank(c).T
    return np.log(np.maximum(energy, c['logFloor'])).astype(np.float32)


if __name__ == '__main__':
    cfg = json.load(open(sys.argv[1])) if len(sys.argv) > 1 else {}
    samples = np.frombuffer(sys.stdin.buffer.read(), dtype='<f4')
    sys.stdout.buffer.write(log_mel(samples, cfg).astype('<f4').tobytes())
