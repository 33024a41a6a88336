#!/usr/bin/env python3
"""Non-speech probes outside the OOD set's ranges (README, "The non-speech rule").

`kws ood-set` draws its non-speech sounds at peaks of -36 to -3 dBFS and tones up to 6 kHz; users try
louder and higher ones first. This writes 1 s, 16 kHz, 16-bit WAVs of two recipes:

  --recipe dev   86 clips on a grid: tones of 5 to 7.75 kHz at amplitudes 0.5 to 1.0, white, brown
                 and high-passed noise, square and sawtooth waves, sweeps, clicks, a DC offset,
                 chords, a warbling whistle. The development probes the rule's limits were chosen on.
  --recipe test  230 clips drawn at random (seed 99): tones of 50 Hz to 7.9 kHz at amplitudes 0.05 to
                 1, square, sawtooth and triangle waves, linear and logarithmic sweeps, click trains,
                 decaying chords with harmonics, vibrato and amplitude-modulated tones, continuous DTMF,
                 band-limited noise. Held out: looked at once, after the limits were fixed.

Each file is named by its kind first (`tone_...`, `square_...`). Needs numpy and scipy (Debian's
python3-numpy and python3-scipy). Usage: python3 scripts/non-speech-probes.py --recipe test --out DIR
"""
import argparse
import os

import numpy as np
from scipy import signal
from scipy.io import wavfile

RATE = 16000
T = np.arange(RATE) / RATE


def write(out, name, x):
    x = np.clip(x, -1, 1)
    wavfile.write(os.path.join(out, name + '.wav'), RATE, (x * 32767).astype(np.int16))


def dev(out):
    rng = np.random.default_rng(0)
    for hz in range(5000, 8000, 250):
        for a in [0.5, 0.7, 0.9, 1.0]:
            write(out, f'tone_{hz}_{a}', a * np.sin(2 * np.pi * hz * T))
    for a in [0.01, 0.1, 0.3, 0.7, 1.0]:
        wn = rng.standard_normal(RATE)
        write(out, f'white_{a}', a * wn / np.abs(wn).max())
        b, aa = signal.butter(1, 0.05)
        pn = signal.lfilter(b, aa, wn)
        write(out, f'brown_{a}', a * pn / np.abs(pn).max())
        hp = signal.lfilter(*signal.butter(4, 0.5, 'high'), wn)
        write(out, f'hiss_{a}', a * hp / np.abs(hp).max())
    for hz in [50, 100, 200, 440, 1000, 3000]:
        write(out, f'square_{hz}', 0.5 * signal.square(2 * np.pi * hz * T))
        write(out, f'saw_{hz}', 0.5 * signal.sawtooth(2 * np.pi * hz * T))
    for a in [0.3, 0.9]:
        write(out, f'chirp_up_{a}', a * signal.chirp(T, 100, 1, 7900))
        write(out, f'chirp_down_{a}', a * signal.chirp(T, 7900, 1, 100))
    x = np.zeros(RATE)
    x[::1600] = 0.9
    write(out, 'clicks_10hz', x)
    x = np.zeros(RATE)
    x[8000] = 1.0
    write(out, 'click_1', x)
    write(out, 'dc_0.5', np.full(RATE, 0.5))
    write(out, 'clip_fullscale_square', signal.square(2 * np.pi * 3 * T))
    c = sum(np.sin(2 * np.pi * f * T) for f in [261.6, 329.6, 392.0])
    write(out, 'chord_C', 0.3 * c / np.abs(c).max())
    c = sum(np.sin(2 * np.pi * f * k * T) / k for f in [261.6, 329.6, 392.0] for k in range(1, 6))
    write(out, 'chord_C_harm', 0.5 * c / np.abs(c).max())
    write(out, 'whistle', 0.5 * np.sin(2 * np.pi * (1500 * T + 30 * np.sin(2 * np.pi * 5 * T) / (2 * np.pi * 5))))


def test(out):
    rng = np.random.default_rng(99)
    for i in range(60):
        hz = rng.uniform(50, 7900)
        a = rng.uniform(0.05, 1.0)
        write(out, f'tone_{i}_{hz:.0f}_{a:.2f}', a * np.sin(2 * np.pi * hz * T + rng.uniform(0, 6.28)))
    for i in range(30):
        f0 = rng.uniform(40, 1500)
        a = rng.uniform(0.1, 0.9)
        kind = ['square', 'saw', 'triangle'][i % 3]
        if kind == 'square':
            x = signal.square(2 * np.pi * f0 * T)
        else:
            x = signal.sawtooth(2 * np.pi * f0 * T, 1.0 if kind == 'saw' else 0.5)
        write(out, f'{kind}_{i}_{f0:.0f}', a * x)
    for i in range(20):
        f1, f2 = rng.uniform(50, 7900, 2)
        a = rng.uniform(0.2, 1.0)
        write(out, f'chirp_{i}', a * signal.chirp(T, f1, 1, f2, method=['linear', 'logarithmic'][i % 2]))
    for i in range(20):
        rate = rng.uniform(2, 50)
        x = np.zeros(RATE)
        x[(np.arange(0, 1, 1 / rate) * RATE).astype(int)] = rng.uniform(0.3, 1.0)
        write(out, f'clicks_{i}_{rate:.0f}', x)
    for i in range(20):
        root = rng.uniform(100, 600)
        ratios = [1, 1.26, 1.5] if i % 2 else [1, 1.19, 1.5, 1.78]
        c = sum(np.sin(2 * np.pi * root * r * k * T) / k for r in ratios for k in range(1, rng.integers(1, 6) + 1))
        env = np.exp(-T * rng.uniform(0, 4))
        write(out, f'chord_{i}', rng.uniform(0.2, 0.9) * c * env / np.abs(c).max())
    for i in range(20):
        fc = rng.uniform(200, 4000)
        fm = rng.uniform(2, 12)
        a = rng.uniform(0.2, 0.9)
        write(out, f'vibrato_{i}', a * np.sin(2 * np.pi * fc * T + (fc * 0.03 / fm) * np.sin(2 * np.pi * fm * T)))
    for i in range(20):
        fc = rng.uniform(200, 6000)
        fm = rng.uniform(2, 30)
        a = rng.uniform(0.2, 0.9)
        write(out, f'am_{i}', a * np.sin(2 * np.pi * fc * T) * (0.5 + 0.5 * np.sin(2 * np.pi * fm * T)))
    for i in range(20):
        lo, hi = [697, 770, 852, 941], [1209, 1336, 1477, 1633]
        x = np.sin(2 * np.pi * lo[i % 4] * T) + np.sin(2 * np.pi * hi[(i // 4) % 4] * T)
        write(out, f'dtmf_loud_{i}', rng.uniform(0.4, 0.5) * x)
    for i in range(20):
        wn = rng.standard_normal(RATE)
        b, a_ = signal.butter(2, sorted(rng.uniform(0.01, 0.99, 2)), 'band')
        x = signal.lfilter(b, a_, wn)
        write(out, f'bandnoise_{i}', rng.uniform(0.05, 1.0) * x / np.abs(x).max())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--recipe', choices=['dev', 'test'], required=True)
    parser.add_argument('--out', required=True)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    (dev if args.recipe == 'dev' else test)(args.out)
    print(f'wrote {len(os.listdir(args.out))} clips to {args.out}')


if __name__ == '__main__':
    main()
