#!/usr/bin/env python3
"""Exports the external-model fixture: a small PyTorch keyword model as ONNX, for `kws import`.

A user's model would be trained on kws-serve's features (see README, "Importing a model trained
elsewhere"); this one has seeded random weights, which is all the tests need: they check that the
imported version serves exactly what onnxruntime computes from this file. It follows what PyTorch
users write: NCHW input `[batch, 1, frames, bins]`, classes in alphabetical order, logits out.

Run with Debian's PyTorch (apt-get install python3-torch python3-onnx):
    /usr/bin/python3 scripts/export-pytorch-fixture.py test/fixtures/pytorch-kws
    /usr/bin/python3 scripts/export-pytorch-fixture.py --waveform test/fixtures/pytorch-kws-waveform
(the second: a model with its own front end, fed the raw 16 kHz samples, `[batch, 16000]`)
Writes model.onnx, labels.txt (the output order, one label a line) and features.json (the
feature config the input is computed with: kws-serve's default log-mel, 98 frames x 40 bins).
"""
import json
import os
import sys

import torch
from torch import nn

LABELS = sorted(['yes', 'no', 'up', 'down', 'left', 'right', 'on', 'off', 'stop', 'go', 'silence', 'unknown'])
FRAMES, BINS = 98, 40


class SmallKws(nn.Module):
    """Two strided 3x3 convolutions, global average pooling, a linear classifier: about 1.5k weights."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, stride=2, padding=1),
            nn.BatchNorm2d(8),
            nn.ReLU(),
            nn.Conv2d(8, 16, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
        )
        self.classifier = nn.Linear(16, len(LABELS))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.features(x), 1))


class WaveKws(nn.Module):
    """A model with its own front end: a strided Conv1d over the raw 16 kHz samples [batch, 16000], two more, pooling, a classifier."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv1d(1, 8, 80, stride=16),
            nn.ReLU(),
            nn.Conv1d(8, 16, 3, stride=2),
            nn.ReLU(),
            nn.AdaptiveAvgPool1d(1),
        )
        self.classifier = nn.Linear(16, len(LABELS))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.features(x[:, None, :]), 1))


def write_fixture(model: nn.Module, example: torch.Tensor, input_name: str, features: dict, out: str) -> None:
    """Exports `model` (logits out, dynamic batch, opset 13) to out/model.onnx, with labels.txt and features.json."""
    os.makedirs(out, exist_ok=True)
    torch.onnx.export(
        model.eval(),
        example,
        os.path.join(out, 'model.onnx'),
        input_names=[input_name],
        output_names=['logits'],
        dynamic_axes={input_name: {0: 'batch'}, 'logits': {0: 'batch'}},
        opset_version=13,
    )
    with open(os.path.join(out, 'labels.txt'), 'w') as f:
        f.write('\n'.join(LABELS) + '\n')
    with open(os.path.join(out, 'features.json'), 'w') as f:
        json.dump(features, f)
        f.write('\n')


def main_waveform(out: str) -> None:
    """The waveform fixture: input `waveform` [batch, 16000], features.json {"type": "waveform"}."""
    torch.manual_seed(29)
    write_fixture(WaveKws(), torch.zeros(2, 16000), 'waveform', {'type': 'waveform'}, out)


def main(out: str) -> None:
    """The spectrogram fixture: input `spectrogram` [batch, 1, 98, 40], kws-serve's default log-mel."""
    torch.manual_seed(17)
    write_fixture(SmallKws(), torch.zeros(2, 1, FRAMES, BINS), 'spectrogram', {'type': 'log-mel'}, out)


if __name__ == '__main__':
    if len(sys.argv) > 1 and sys.argv[1] == '--waveform':
        main_waveform(sys.argv[2] if len(sys.argv) > 2 else 'test/fixtures/pytorch-kws-waveform')
    else:
        main(sys.argv[1] if len(sys.argv) > 1 else 'test/fixtures/pytorch-kws')
