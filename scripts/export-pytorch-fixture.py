#!/usr/bin/env python3
"""Exports the external-model fixture: a small PyTorch keyword model as ONNX, for `kws import`.

A user's model would be trained on kws-serve's features (see README, "Importing a model trained
elsewhere"); this one has seeded random weights, which is all the tests need: they check that the
imported version serves exactly what onnxruntime computes from this file. It follows what PyTorch
users write: NCHW input `[batch, 1, frames, bins]`, classes in alphabetical order, logits out.

Run with Debian's PyTorch (apt-get install python3-torch python3-onnx):
    /usr/bin/python3 scripts/export-pytorch-fixture.py test/fixtures/pytorch-kws
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


def main(out: str) -> None:
    torch.manual_seed(17)
    model = SmallKws().eval()
    os.makedirs(out, exist_ok=True)
    torch.onnx.export(
        model,
        torch.zeros(2, 1, FRAMES, BINS),
        os.path.join(out, 'model.onnx'),
        input_names=['spectrogram'],
        output_names=['logits'],
        dynamic_axes={'spectrogram': {0: 'batch'}, 'logits': {0: 'batch'}},
        opset_version=13,
    )
    with open(os.path.join(out, 'labels.txt'), 'w') as f:
        f.write('\n'.join(LABELS) + '\n')
    with open(os.path.join(out, 'features.json'), 'w') as f:
        json.dump({'type': 'log-mel'}, f)
        f.write('\n')


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else 'test/fixtures/pytorch-kws')
