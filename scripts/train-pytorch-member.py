#!/usr/bin/env python3
"""Trains a keyword model in PyTorch on every word of a Speech Commands dataset, for `kws import`.

What the challenge's winners did, as a model trained outside kws-serve: one class per word folder
(the 10 commands, every auxiliary word, `_non_speech_`, `_composed_`), plus `silence` (the
`_silence_` folder and cuts of `_background_noise_`), on kws-serve's own log-mel features
(scripts/kws_features.py). The exported ONNX model maps the word probabilities to the 12 labels:
its output `logits` [batch, 12] is, per label, the log-sum-exp of its words' logits (a command and
silence have one word each, `unknown` has the rest), so softmax(logits) sums the probabilities of
every non-command word into `unknown`, and kws-serve calibrates a temperature on it as on any logits.

Splits follow the dataset's validation_list.txt and testing_list.txt (what is on neither list
trains); the lists' clips are not used. Each epoch draws every command and silence clip and as many
auxiliary clips as there are command clips (a new draw each epoch), each clip as it is or mixed with
background noise (a copy made once), shifted by up to 100 ms in time.

Run with Debian's PyTorch (apt-get install python3-torch python3-onnx), one thread:
    /usr/bin/python3 scripts/train-pytorch-member.py --data /tmp/kws-e6 --out /tmp/pt-cnn [--arch cnn|crnn] [--epochs 20] [--seed 1]
Writes model.onnx, labels.txt (kws-serve's 12 labels, the output order) and features.json; then
    npx kws import /tmp/pt-cnn/model.onnx --features /tmp/pt-cnn/features.json --labels @/tmp/pt-cnn/labels.txt --data DIR
A measurement tool: not a dependency of kws-serve.
"""
import argparse
import json
import os
import random
import sys
import time
import wave

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kws_features import log_mel  # noqa: E402

COMMANDS = ['yes', 'no', 'up', 'down', 'left', 'right', 'on', 'off', 'stop', 'go']
LABELS = COMMANDS + ['silence', 'unknown']
CLIP = 16000


def read_wav(path):
    """Mono float samples in [-1, 1] of a 16-bit PCM WAV, fitted to 1 s (zero-padded or cut at the middle)."""
    with wave.open(path, 'rb') as w:
        if w.getsampwidth() != 2 or w.getframerate() != 16000:
            raise ValueError(f'{path}: kws-serve datasets are 16 kHz 16-bit PCM')
        x = np.frombuffer(w.readframes(w.getnframes()), dtype='<i2').astype(np.float32) / 32768.0
        if w.getnchannels() > 1:
            x = x.reshape(-1, w.getnchannels()).mean(axis=1)
    if len(x) >= CLIP:
        start = (len(x) - CLIP) // 2
        return x[start : start + CLIP]
    return np.pad(x, (0, CLIP - len(x)))


def listing(root):
    """(words, {split: [(path, word)]}) with splits by the dataset's list files."""
    lists = {}
    for split, name in (('validation', 'validation_list.txt'), ('testing', 'testing_list.txt')):
        path = os.path.join(root, name)
        lists[split] = set(open(path).read().split()) if os.path.exists(path) else set()
    words = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)) and d != '_background_noise_')
    out = {'training': [], 'validation': [], 'testing': []}
    for word in words:
        for f in sorted(os.listdir(os.path.join(root, word))):
            if not f.endswith('.wav'):
                continue
            rel = f'{word}/{f}'
            split = 'validation' if rel in lists['validation'] else 'testing' if rel in lists['testing'] else 'training'
            out[split].append((os.path.join(root, word, f), word))
    return words, out


def word_classes(words):
    """Class names: the commands, silence, then every other folder; and each class's 12-label index."""
    others = [w for w in words if w not in COMMANDS and w != '_silence_']
    classes = COMMANDS + ['silence'] + others
    group = [LABELS.index(c) if c in LABELS else LABELS.index('unknown') for c in classes]
    return classes, group


class Cnn(nn.Module):
    """Three 3x3 conv blocks (16, 32, 64 channels, batch norm, max pooling), global average pooling, dropout, linear."""

    def __init__(self, classes):
        super().__init__()
        blocks = []
        for cin, cout in ((1, 16), (16, 32), (32, 64)):
            blocks += [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(), nn.MaxPool2d(2)]
        self.features = nn.Sequential(*blocks, nn.AdaptiveAvgPool2d(1))
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(64, classes))

    def forward(self, x):
        return self.head(torch.flatten(self.features(x), 1))


class Crnn(nn.Module):
    """Two conv blocks pooling frequency only, a bidirectional GRU over time, mean over time, linear."""

    def __init__(self, classes, bins=40):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d((1, 2)),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d((2, 2)),
        )
        self.gru = nn.GRU(32 * (bins // 4), 64, batch_first=True, bidirectional=True)
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(128, classes))

    def forward(self, x):
        y = self.conv(x)  # [b, c, t, f]
        b, c, t, f = y.shape
        y, _ = self.gru(y.permute(0, 2, 1, 3).reshape(b, t, c * f))
        return self.head(y.mean(dim=1))


class GroupLogits(nn.Module):
    """Word logits [b, W] to 12-label logits [b, 12]: per label, log-sum-exp of its words' logits."""

    def __init__(self, model, group):
        super().__init__()
        self.model = model
        mask = torch.full((len(LABELS), len(group)), -1e9)
        for w, g in enumerate(group):
            mask[g, w] = 0.0
        self.register_buffer('mask', mask)

    def forward(self, x):
        z = self.model(x)  # [b, W]
        return torch.logsumexp(z[:, None, :] + self.mask[None], dim=2)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--data', required=True)
    p.add_argument('--out', required=True)
    p.add_argument('--arch', choices=['cnn', 'crnn'], default='cnn')
    p.add_argument('--epochs', type=int, default=20)
    p.add_argument('--seed', type=int, default=1)
    p.add_argument('--batch-size', type=int, default=64)
    p.add_argument('--lr', type=float, default=2e-3)
    args = p.parse_args()
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    rng = np.random.default_rng(args.seed)
    torch.set_num_threads(1)
    started = time.time()

    words, splits = listing(args.data)
    classes, group = word_classes(words)
    index = {c: i for i, c in enumerate(classes)}
    noise_dir = os.path.join(args.data, '_background_noise_')
    noises = [read_wav_full(os.path.join(noise_dir, f)) for f in sorted(os.listdir(noise_dir)) if f.endswith('.wav')] if os.path.isdir(noise_dir) else []

    def cls(word):
        return index['silence'] if word == '_silence_' else index[word]

    def features_of(items, noisy):
        out = np.zeros((len(items), 98, 40), dtype=np.float32)
        for k, (path, _) in enumerate(items):
            x = read_wav(path)
            if noisy and noises:
                n = noises[rng.integers(len(noises))]
                s = rng.integers(0, len(n) - CLIP)
                snr = rng.uniform(5, 20)
                px, pn = np.mean(x ** 2) + 1e-9, np.mean(n[s : s + CLIP] ** 2) + 1e-9
                x = np.clip(x + n[s : s + CLIP] * np.sqrt(px / pn / 10 ** (snr / 10)), -1, 1)
            out[k] = log_mel(x)
        return out

    def silence_cuts(count):
        out = np.zeros((count, 98, 40), dtype=np.float32)
        for k in range(count):
            n = noises[rng.integers(len(noises))] if noises else np.zeros(CLIP * 2)
            s = rng.integers(0, len(n) - CLIP)
            out[k] = log_mel(n[s : s + CLIP] * rng.uniform(0, 1))
        return out

    train = splits['training']
    val = splits['validation']
    print(f'{len(classes)} classes, {len(train)} training and {len(val)} validation clips', file=sys.stderr)
    x_clean = features_of(train, False)
    x_noisy = features_of(train, True)
    y_train = np.array([cls(w) for _, w in train])
    extra = silence_cuts(max(1, len(train) // 50))
    x_clean = np.concatenate([x_clean, extra])
    x_noisy = np.concatenate([x_noisy, extra])
    y_train = np.concatenate([y_train, np.full(len(extra), index['silence'])])
    x_val = features_of(val, False)
    y_val12 = np.array([group[cls(w)] for _, w in val])
    print(f'features in {time.time() - started:.0f} s', file=sys.stderr)

    is_aux = np.array([group[c] == LABELS.index('unknown') for c in y_train])
    model = Cnn(len(classes)) if args.arch == 'cnn' else Crnn(len(classes))
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, args.epochs)
    grouped = GroupLogits(model, group)
    best, best_state = -1.0, None
    for epoch in range(args.epochs):
        model.train()
        aux = np.flatnonzero(is_aux)
        keep = np.concatenate([np.flatnonzero(~is_aux), rng.choice(aux, size=min(len(aux), int((~is_aux).sum())), replace=False)])
        rng.shuffle(keep)
        total, seen = 0.0, 0
        for s in range(0, len(keep), args.batch_size):
            idx = keep[s : s + args.batch_size]
            noisy = rng.random(len(idx)) < 0.5
            xb = np.where(noisy[:, None, None], x_noisy[idx], x_clean[idx])
            shift = rng.integers(-10, 11)
            xb = np.roll(xb, shift, axis=1)
            if shift > 0:
                xb[:, :shift] = np.log(1e-6)
            elif shift < 0:
                xb[:, shift:] = np.log(1e-6)
            logits = model(torch.from_numpy(xb)[:, None])
            loss = nn.functional.cross_entropy(logits, torch.from_numpy(y_train[idx]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
            seen += len(idx)
        sched.step()
        model.eval()
        with torch.no_grad():
            pred = torch.cat([grouped(torch.from_numpy(x_val[s : s + 256])[:, None]).argmax(1) for s in range(0, len(x_val), 256)])
        acc = float((pred.numpy() == y_val12).mean())
        print(f'epoch {epoch + 1}/{args.epochs}: loss {total / seen:.4f}, validation accuracy (12 labels) {acc:.4f} ({time.time() - started:.0f} s)', file=sys.stderr)
        if acc > best:
            best, best_state = acc, {k: v.clone() for k, v in model.state_dict().items()}
    model.load_state_dict(best_state)
    grouped.eval()
    os.makedirs(args.out, exist_ok=True)
    torch.onnx.export(
        grouped,
        torch.zeros(2, 1, 98, 40),
        os.path.join(args.out, 'model.onnx'),
        input_names=['spectrogram'],
        output_names=['logits'],
        dynamic_axes={'spectrogram': {0: 'batch'}, 'logits': {0: 'batch'}},
        opset_version=13,
    )
    with open(os.path.join(args.out, 'labels.txt'), 'w') as f:
        f.write('\n'.join(LABELS) + '\n')
    with open(os.path.join(args.out, 'features.json'), 'w') as f:
        json.dump({'type': 'log-mel'}, f)
    with open(os.path.join(args.out, 'training.json'), 'w') as f:
        json.dump({'arch': args.arch, 'classes': classes, 'epochs': args.epochs, 'seed': args.seed, 'bestValidationAccuracy': best, 'seconds': time.time() - started}, f, indent=1)
    print(f'best validation accuracy {best:.4f}; wrote {args.out}/model.onnx', file=sys.stderr)


def read_wav_full(path):
    """Every sample of a 16 kHz 16-bit WAV (the background-noise recordings are minutes long)."""
    with wave.open(path, 'rb') as w:
        x = np.frombuffer(w.readframes(w.getnframes()), dtype='<i2').astype(np.float32) / 32768.0
        return x.reshape(-1, w.getnchannels()).mean(axis=1) if w.getnchannels() > 1 else x


if __name__ == '__main__':
    main()
