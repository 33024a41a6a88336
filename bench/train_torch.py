"""PyTorch reference for `npm run bench:train`: TC-ResNet8 (Choi et al. 2019) as kws-serve builds it
(src/model/tfjs/builders.ts: 3x1 stem of 16 channels, blocks 24/32/48 with stride 2, batch norm,
1x1 projection shortcuts, global average pooling, dropout 0.5, a 12-way linear layer), trained with
Adam (lr 1e-3) on the categorical cross-entropy, on random [batch, 98, 40] log-mel-shaped features.

Not a dependency of kws-serve: the bench runs it when `python3 -c "import torch"` works (Debian:
apt-get install python3-torch). Usage: python3 bench/train_torch.py --batch 64 --steps 20 --threads 1 2
Times the network twice: with Conv1d over frames (how PyTorch users write TC-ResNet) and with Conv2d
k x 1 kernels over [batch, bins, frames, 1] (the TF.js model's layout); the same arithmetic.
Prints clips/s; last line one JSON object.
"""
import argparse
import json
import time

import torch
from torch import nn


def conv(layer: str, cin: int, cout: int, k: int, stride: int = 1) -> nn.Module:
    """A temporal convolution over frames: Conv1d on [batch, channels, frames], or Conv2d with a
    k x 1 kernel on [batch, channels, frames, 1] (the layout of the TF.js model, NCHW)."""
    if layer == 'conv1d':
        return nn.Conv1d(cin, cout, k, stride, padding=k // 2, bias=False)
    return nn.Conv2d(cin, cout, (k, 1), (stride, 1), padding=(k // 2, 0), bias=False)


def bn(layer: str, c: int) -> nn.Module:
    return nn.BatchNorm1d(c) if layer == 'conv1d' else nn.BatchNorm2d(c)


class Block(nn.Module):
    def __init__(self, layer: str, cin: int, cout: int, stride: int):
        super().__init__()
        self.conv1 = conv(layer, cin, cout, 9, stride)
        self.bn1 = bn(layer, cout)
        self.conv2 = conv(layer, cout, cout, 9)
        self.bn2 = bn(layer, cout)
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(conv(layer, cin, cout, 1, stride), bn(layer, cout), nn.ReLU())

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return torch.relu(y + (x if self.shortcut is None else self.shortcut(x)))


class TCResNet8(nn.Module):
    def __init__(self, layer: str, bins: int = 40, classes: int = 12):
        super().__init__()
        self.layer = layer
        self.stem = conv(layer, bins, 16, 3)
        self.blocks = nn.Sequential(Block(layer, 16, 24, 2), Block(layer, 24, 32, 2), Block(layer, 32, 48, 2))
        self.dropout = nn.Dropout(0.5)
        self.logits = nn.Linear(48, classes)

    def forward(self, x):  # x: [batch, frames, bins]
        x = x.transpose(1, 2)
        if self.layer == 'conv2d':
            x = x.unsqueeze(3)
        y = self.blocks(self.stem(x)).flatten(2)
        return self.logits(self.dropout(y.mean(dim=2)))


def clips_per_second(layer: str, batch: int, steps: int, threads: int) -> float:
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    model = TCResNet8(layer)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(batch, 98, 40)
    y = torch.randint(0, 12, (batch,))

    def step():
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()

    for _ in range(3):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return steps * batch / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--batch', type=int, default=64)
    parser.add_argument('--steps', type=int, default=20)
    parser.add_argument('--threads', type=int, nargs='+', default=[1, 2])
    args = parser.parse_args()
    result = {}
    for layer in ('conv1d', 'conv2d'):
        result[layer] = {}
        for threads in args.threads:
            rate = clips_per_second(layer, args.batch, args.steps, threads)
            result[layer][str(threads)] = round(rate)
            print(f'pytorch {torch.__version__} tc-resnet8 ({layer}) batch {args.batch}, {threads} thread(s): {rate:.0f} clips/s')
    print(json.dumps({'torch': torch.__version__, 'batch': args.batch, 'clipsPerSecond': result}))


if __name__ == '__main__':
    main()
