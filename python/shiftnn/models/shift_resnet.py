"""ShiftResNet-20 for 32x32 inputs (Wu et al., "Shift: A Zero FLOP, Zero Parameter
Alternative to Spatial Convolutions", CVPR 2018), written like the authors' public
CIFAR code (alvinwan/shiftresnet-cifar, models/shiftresnet.py + models/resnet.py):

    ResNet-20 layout: conv3x3(3,16)+BN+ReLU, 3 stages x 3 blocks, widths 16/32/64,
    stride 2 at the first block of stages 2 and 3, F.avg_pool2d(out, 8), view, Linear.
    Every block (ShiftConv) replaces the two 3x3 convolutions of a basic block by
        1x1 conv (in -> expansion*out) -> BN -> ReLU -> shift 3x3 -> 1x1 conv (stride s) -> BN
    plus the shortcut (identity, or 1x1 strided conv + BN when the shape changes),
    `x += shortcut`, ReLU.

The shift is shiftnn.Shift("grouped:3", "zero"): the interleaved 3x3 assignment of the
paper's CUDA GenericShift (kernel_size=3, dilate_factor=1), zero padding. As in the
authors' code the stride sits on the second 1x1 convolution (after the shift).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from ._common import make_shift, randomize_norms_


class ShiftConv(nn.Module):
    def __init__(self, in_planes, out_planes, stride=1, expansion=1, pattern="grouped:3"):
        super().__init__()
        self.expansion = expansion
        self.in_planes = in_planes
        self.out_planes = out_planes
        self.mid_planes = mid_planes = int(out_planes * expansion)

        self.conv1 = nn.Conv2d(in_planes, mid_planes, kernel_size=1, bias=False)
        self.bn1 = nn.BatchNorm2d(mid_planes)
        self.shift2 = make_shift(pattern, "zero")
        self.conv2 = nn.Conv2d(mid_planes, out_planes, kernel_size=1, bias=False, stride=stride)
        self.bn2 = nn.BatchNorm2d(out_planes)

        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != out_planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(out_planes),
            )

    def forward(self, x):
        shortcut = self.shortcut(x)
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.bn2(self.conv2(self.shift2(x)))
        x += shortcut
        x = F.relu(x)
        return x


class ResNet(nn.Module):
    """The CIFAR ResNet skeleton of the authors' code (Kuang Liu's layout)."""

    def __init__(self, block, num_blocks, num_classes=10, in_chans=3):
        super().__init__()
        self.in_planes = 16
        self.conv1 = nn.Conv2d(in_chans, 16, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.layer1 = self._make_layer(block, 16, num_blocks[0], stride=1)
        self.layer2 = self._make_layer(block, 32, num_blocks[1], stride=2)
        self.layer3 = self._make_layer(block, 64, num_blocks[2], stride=2)
        self.linear = nn.Linear(64, num_classes)

    def _make_layer(self, block, planes, num_blocks, stride):
        strides = [stride] + [1] * (num_blocks - 1)
        layers = []
        for s in strides:
            layers.append(block(self.in_planes, planes, s))
            self.in_planes = planes
        return nn.Sequential(*layers)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer1(out)
        out = self.layer2(out)
        out = self.layer3(out)
        out = F.avg_pool2d(out, 8)          # the authors' global pool for 32x32 inputs
        out = out.view(out.size(0), -1)
        out = self.linear(out)
        return out


def shift_resnet20(num_classes=10, expansion=3, seed=0, randomize=True):
    """ShiftResNet-20 (CIFAR, 32x32 input), eval mode, fixed-seed random weights and
    randomised BN statistics. `expansion` is the paper's epsilon (it reports 1, 3, 6, 9);
    3 gives middle widths 48/96/192 (not multiples of 9: the last channels stay put)."""
    torch.manual_seed(seed)
    block = lambda i, o, s: ShiftConv(i, o, s, expansion=expansion)  # noqa: E731
    model = ResNet(block, [3, 3, 3], num_classes=num_classes)
    if randomize:
        randomize_norms_(model, seed + 1)
    return model.eval()
