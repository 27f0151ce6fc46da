"""S2-MLP (Yu et al., "S2-MLP: Spatial-Shift MLP Architecture for Vision", WACV 2022),
a small faithful version.

Architecture (paper §3): non-overlapping patch embedding (one FC per patch = Conv2d with
kernel = stride = patch), N S2-MLP blocks, global average pooling, FC head. Each block:

    x = x + FC2(spatial_shift(GELU(FC1(LN(x)))))          # spatial-shift MLP
    x = x + FC4(GELU(FC3(LN(x))))                          # channel MLP, ratio r

The paper's pseudo-code (Algorithm 1) works on a channels-last token map named
(w, h, c) and shifts in place:

    x[1:, :, :c/4]      = x[:w-1, :, :c/4]         # along w, content +1
    x[:w-1, :, c/4:c/2] = x[1:, :, c/4:c/2]        # along w, content -1
    x[:, 1:, c/2:c*3/4] = x[:, :h-1, c/2:c*3/4]    # along h, content +1
    x[:, :h-1, 3*c/4:]  = x[:, 1:, 3*c/4:]         # along h, content -1

That is SPEC §1 `quad`: [b0,b1) (0,+1), [b1,b2) (0,-1), [b2,b3) (+1,0), [b3,b4) (-1,0).
Written here out of place (in place would read already-shifted values): into a clone of
x (borders keep their own value: boundary "keep", what the in-place code leaves at the
border) or into zeros (boundary "zero").

layout="nhwc" (default): tokens channels-last (B, H, W, C) after the patch embedding, as
in the paper's pseudo-code: nn.LayerNorm and nn.Linear act on the last axis, the shift
slices axes 1 (h) and 2 (w), pooling is x.mean((1, 2)).
layout="nchw": the common PyTorch re-implementation style: 1x1 Conv2d as the FCs,
LayerNorm as permute + nn.LayerNorm + permute, the shift slices NCHW axes 2 and 3.
"""
import torch
import torch.nn as nn

from ._common import randomize_norms_


def spatial_shift_nhwc(x, boundary="keep"):
    """S2-MLP spatial shift on a (B, H, W, C) token map; SPEC `quad`, keep or zero."""
    b, h, w, c = x.size()
    out = x.clone() if boundary == "keep" else torch.zeros_like(x)
    out[:, :, 1:, :c // 4] = x[:, :, :w - 1, :c // 4]
    out[:, :, :w - 1, c // 4:c // 2] = x[:, :, 1:, c // 4:c // 2]
    out[:, 1:, :, c // 2:c * 3 // 4] = x[:, :h - 1, :, c // 2:c * 3 // 4]
    out[:, :h - 1, :, c * 3 // 4:] = x[:, 1:, :, c * 3 // 4:]
    return out


def spatial_shift_nchw(x, boundary="keep"):
    """The same shift on an (N, C, H, W) tensor (the seed's method 1); SPEC `quad`."""
    b, c, h, w = x.size()
    out = x.clone() if boundary == "keep" else torch.zeros_like(x)
    out[:, :c // 4, :, 1:] = x[:, :c // 4, :, :w - 1]
    out[:, c // 4:c // 2, :, :w - 1] = x[:, c // 4:c // 2, :, 1:]
    out[:, c // 2:c * 3 // 4, 1:, :] = x[:, c // 2:c * 3 // 4, :h - 1, :]
    out[:, c * 3 // 4:, :h - 1, :] = x[:, c * 3 // 4:, 1:, :]
    return out


class SpatialShift(nn.Module):
    def __init__(self, layout="nhwc", boundary="keep"):
        super().__init__()
        if boundary not in ("keep", "zero"):
            raise ValueError("S2-MLP's slice shift gives boundary 'keep' or 'zero'")
        self.layout = layout
        self.boundary = boundary

    def forward(self, x):
        if self.layout == "nhwc":
            return spatial_shift_nhwc(x, self.boundary)
        return spatial_shift_nchw(x, self.boundary)

    def extra_repr(self):
        return f"layout={self.layout}, boundary={self.boundary}"


class ChannelsLastLayerNorm(nn.LayerNorm):
    """LayerNorm over the channels of an NCHW tensor: permute, nn.LayerNorm, permute."""

    def forward(self, x):
        return super().forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


def _fc(layout, i, o):
    return nn.Linear(i, o) if layout == "nhwc" else nn.Conv2d(i, o, 1)


class S2Block(nn.Module):
    def __init__(self, dim, expansion=4, layout="nhwc", boundary="keep"):
        super().__init__()
        norm = nn.LayerNorm if layout == "nhwc" else ChannelsLastLayerNorm
        self.norm1 = norm(dim)
        self.fc1 = _fc(layout, dim, dim)
        self.act1 = nn.GELU()
        self.shift = SpatialShift(layout, boundary)
        self.fc2 = _fc(layout, dim, dim)
        self.norm2 = norm(dim)
        self.fc3 = _fc(layout, dim, dim * expansion)
        self.act2 = nn.GELU()
        self.fc4 = _fc(layout, dim * expansion, dim)

    def forward(self, x):
        x = x + self.fc2(self.shift(self.act1(self.fc1(self.norm1(x)))))
        x = x + self.fc4(self.act2(self.fc3(self.norm2(x))))
        return x


class S2MLP(nn.Module):
    def __init__(self, img_size=64, patch_size=4, in_chans=3, num_classes=1000,
                 embed_dim=128, depth=4, expansion=4, layout="nhwc", boundary="keep"):
        super().__init__()
        if layout not in ("nhwc", "nchw"):
            raise ValueError("layout must be 'nhwc' or 'nchw'")
        self.layout = layout
        self.img_size = img_size
        self.patch_embed = nn.Conv2d(in_chans, embed_dim, kernel_size=patch_size, stride=patch_size)
        self.blocks = nn.Sequential(*[S2Block(embed_dim, expansion, layout, boundary)
                                      for _ in range(depth)])
        self.head = nn.Linear(embed_dim, num_classes)

    def forward(self, x):
        x = self.patch_embed(x)                 # B, C, H/p, W/p
        if self.layout == "nhwc":
            x = x.permute(0, 2, 3, 1)           # B, H, W, C tokens
            x = self.blocks(x)
            x = x.mean(dim=(1, 2))              # global average pooling
        else:
            x = self.blocks(x)
            x = x.mean(dim=(2, 3))
        return self.head(x)


def s2mlp(img_size=64, patch_size=4, embed_dim=128, depth=4, expansion=4, num_classes=1000,
          layout="nhwc", boundary="keep", seed=0, randomize=True):
    """Small S2-MLP: 64x64 input, patch 4 (16x16 tokens), width 128, depth 4, ratio 4."""
    torch.manual_seed(seed)
    model = S2MLP(img_size, patch_size, 3, num_classes, embed_dim, depth, expansion,
                  layout, boundary)
    if randomize:
        randomize_norms_(model, seed + 1)
    return model.eval()
