"""A small shift network for sklearn's 8x8 digits (python/scripts/train_digits.py):

    conv3x3(1, 32) + BN + ReLU
    ShiftConv(32 -> 32, expansion 2)            8x8   (1x1 -> BN -> ReLU -> grouped:3 -> 1x1 -> BN, + x, ReLU)
    ShiftConv(32 -> 64, expansion 2, stride 2)  4x4   (1x1 strided conv + BN shortcut)
    AdaptiveAvgPool2d(1), flatten, Linear(64, 10)
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from .shift_resnet import ShiftConv


class DigitsShiftNet(nn.Module):
    def __init__(self, num_classes=10, width=32, expansion=2):
        super().__init__()
        self.conv1 = nn.Conv2d(1, width, kernel_size=3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.block1 = ShiftConv(width, width, 1, expansion=expansion)
        self.block2 = ShiftConv(width, 2 * width, 2, expansion=expansion)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(2 * width, num_classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.block1(x)
        x = self.block2(x)
        x = torch.flatten(self.pool(x), 1)
        return self.fc(x)


def digits_shiftnet(seed=0, **kw):
    torch.manual_seed(seed)
    return DigitsShiftNet(**kw)
