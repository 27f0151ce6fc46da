"""A CycleMLP block (Chen et al., "CycleMLP: A MLP-like Architecture for Dense
Prediction", ICLR 2022), written like the official code (ShoufaChen/CycleMLP,
cycle_mlp.py: CycleFC, CycleMLP, CycleBlock), channels-last tokens inside.

    CycleBlock:  x = x + CycleMLP(LN(x));  x = x + Mlp(LN(x))      (x: B, H, W, C)
    CycleMLP:    h = sfc_h(x) ; w = sfc_w(x) ; c = mlp_c(x)         (mlp_c: Linear, no bias)
                 x = proj(h + w + c)                                 (proj: Linear)
    Mlp:         Linear(C, 4C) -> GELU -> Linear(4C, C)

CycleFC = a fixed per-channel shift followed by a pointwise (1x1) FC. The official code
computes it as torchvision's deform_conv2d with a 1x1 kernel and the fixed offsets of
`gen_offset`: channel i samples at offset (i + K//2) % K - K//2 along one axis, zero
outside. That is SPEC §1 `cycle:K:AXIS`, boundary zero. Beware the official names:
sfc_h has kernel_size (1, 3) and so moves along the WIDTH (`cycle:3:w`); sfc_w has
(3, 1) and moves along the HEIGHT (`cycle:3:h`).

impl="shift" (default): shiftnn.Shift("cycle:3:w" / "cycle:3:h") + nn.Conv2d 1x1.
impl="deform": the official deform_conv2d form (needs torchvision).

The official CycleMLP also re-weights the three branches with ViP's split attention
(mean over H, W -> Mlp(C, C/4, 3C) -> reshape(B, C, 3) -> softmax over the 3 branches):
reweight=True reproduces it. The runtime has no softmax across a non-channel axis after
a reshape, so the reference block (reweight=False) sums the branches, as in the brief.

The exported module takes and returns N, C, H, W (CycleNet's Downsample/forward also
permutes NCHW <-> NHWC around the blocks).
"""
import math

import torch
import torch.nn as nn

from ._common import make_shift, randomize_norms_


class Mlp(nn.Module):
    def __init__(self, in_features, hidden_features=None, out_features=None,
                 act_layer=nn.GELU, drop=0.):
        super().__init__()
        out_features = out_features or in_features
        hidden_features = hidden_features or in_features
        self.fc1 = nn.Linear(in_features, hidden_features)
        self.act = act_layer()
        self.fc2 = nn.Linear(hidden_features, out_features)
        self.drop = nn.Dropout(drop)

    def forward(self, x):
        x = self.fc1(x)
        x = self.act(x)
        x = self.drop(x)
        x = self.fc2(x)
        x = self.drop(x)
        return x


def cycle_offsets(in_channels, kernel_size):
    """The official gen_offset: (1, 2*C, 1, 1), (dy, dx) per channel."""
    offset = torch.empty(1, in_channels * 2, 1, 1)
    start_idx = (kernel_size[0] * kernel_size[1]) // 2
    assert kernel_size[0] == 1 or kernel_size[1] == 1, kernel_size
    for i in range(in_channels):
        if kernel_size[0] == 1:
            offset[0, 2 * i + 0, 0, 0] = 0
            offset[0, 2 * i + 1, 0, 0] = (i + start_idx) % kernel_size[1] - (kernel_size[1] // 2)
        else:
            offset[0, 2 * i + 0, 0, 0] = (i + start_idx) % kernel_size[0] - (kernel_size[0] // 2)
            offset[0, 2 * i + 1, 0, 0] = 0
    return offset


class CycleFC(nn.Module):
    """CycleFC on N, C, H, W. kernel_size (1, K): along w; (K, 1): along h."""

    def __init__(self, in_channels, out_channels, kernel_size, bias=True, impl="shift"):
        super().__init__()
        assert kernel_size[0] == 1 or kernel_size[1] == 1, kernel_size
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = tuple(kernel_size)
        self.impl = impl
        if impl == "shift":
            k = max(kernel_size)
            axis = "w" if kernel_size[0] == 1 else "h"
            self.pattern = f"cycle:{k}:{axis}"
            self.shift = make_shift(self.pattern, "zero")
            self.fc = nn.Conv2d(in_channels, out_channels, 1, bias=bias)
        elif impl == "deform":
            self.weight = nn.Parameter(torch.empty(out_channels, in_channels, 1, 1))
            self.bias = nn.Parameter(torch.empty(out_channels)) if bias else None
            self.register_buffer("offset", cycle_offsets(in_channels, kernel_size))
            nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
            if self.bias is not None:
                bound = 1 / math.sqrt(in_channels)
                nn.init.uniform_(self.bias, -bound, bound)
        else:
            raise ValueError("impl must be 'shift' or 'deform'")

    def forward(self, input):
        if self.impl == "shift":
            return self.fc(self.shift(input))
        from torchvision.ops.deform_conv import deform_conv2d as deform_conv2d_tv
        B, C, H, W = input.size()
        return deform_conv2d_tv(input, self.offset.expand(B, -1, H, W), self.weight, self.bias)


class CycleMLP(nn.Module):
    def __init__(self, dim, qkv_bias=False, proj_drop=0., impl="shift", reweight=False):
        super().__init__()
        self.mlp_c = nn.Linear(dim, dim, bias=qkv_bias)
        self.sfc_h = CycleFC(dim, dim, (1, 3), impl=impl)
        self.sfc_w = CycleFC(dim, dim, (3, 1), impl=impl)
        self.reweight = Mlp(dim, dim // 4, dim * 3) if reweight else None
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)

    def forward(self, x):
        B, H, W, C = x.shape
        h = self.sfc_h(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
        w = self.sfc_w(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
        c = self.mlp_c(x)
        if self.reweight is None:
            x = h + w + c
        else:
            a = (h + w + c).permute(0, 3, 1, 2).flatten(2).mean(2)
            a = self.reweight(a).reshape(B, C, 3).permute(2, 0, 1).softmax(dim=0)
            a = a.unsqueeze(2).unsqueeze(2)
            x = h * a[0] + w * a[1] + c * a[2]
        x = self.proj(x)
        x = self.proj_drop(x)
        return x


class CycleBlock(nn.Module):
    def __init__(self, dim, mlp_ratio=4., qkv_bias=False, act_layer=nn.GELU,
                 norm_layer=nn.LayerNorm, skip_lam=1.0, impl="shift", reweight=False):
        super().__init__()
        self.norm1 = norm_layer(dim)
        self.attn = CycleMLP(dim, qkv_bias=qkv_bias, impl=impl, reweight=reweight)
        self.drop_path = nn.Identity()
        self.norm2 = norm_layer(dim)
        self.mlp = Mlp(in_features=dim, hidden_features=int(dim * mlp_ratio), act_layer=act_layer)
        self.skip_lam = skip_lam

    def forward(self, x):
        x = x + self.drop_path(self.attn(self.norm1(x))) / self.skip_lam
        x = x + self.drop_path(self.mlp(self.norm2(x))) / self.skip_lam
        return x


class CycleBlockNCHW(nn.Module):
    """One CycleBlock taking and returning N, C, H, W."""

    def __init__(self, dim, **kw):
        super().__init__()
        self.block = CycleBlock(dim, **kw)

    def forward(self, x):
        x = x.permute(0, 2, 3, 1)      # B, H, W, C
        x = self.block(x)
        return x.permute(0, 3, 1, 2)


def cyclemlp_block(dim=64, mlp_ratio=4., impl="shift", reweight=False, seed=0, randomize=True):
    """A CycleMLP block on N x dim x H x W (CycleMLP-B1's first stage: dim 64, 56x56)."""
    torch.manual_seed(seed)
    model = CycleBlockNCHW(dim, mlp_ratio=mlp_ratio, impl=impl, reweight=reweight)
    if randomize:
        randomize_norms_(model, seed + 1)
    return model.eval()
