"""AS-MLP-T (Lian et al., "AS-MLP: An Axial Shifted MLP Architecture for Vision",
ICLR 2022) at 224x224, written like the official code (svip-lab/AS-MLP,
models/as_mlp.py), with the pure-PyTorch axial shift the authors keep next to their CUDA
kernel (F.pad + torch.chunk + torch.roll + torch.cat + torch.narrow), in either of the
repository's two forms: `torch_shift(x, shift_size, dim)` of models/shift_cuda.py, one per
direction (default), or the inline block of models/as_mlp.py whose pad and chunk are
shared by the two directions (shift_impl="shared_pad").

    patch embed Conv2d(3, 96, 4, 4) + GroupNorm(1, 96)
    4 stages, depths [2, 2, 6, 2], dims 96/192/384/768, shift_size 5, mlp_ratio 4
      AxialShiftedBlock: x = x + AxialShift(GN(x)); x = x + Mlp(GN(x))
        AxialShift: conv1 1x1 -> GN -> GELU -> {shift along w -> conv2_1 -> GELU,
                    shift along h -> conv2_2 -> GELU} summed -> GN -> conv3 1x1
        Mlp: 1x1 conv (C -> 4C) -> GELU -> 1x1 conv (4C -> C)
      PatchMerging after stages 1-3: x0 = x[:, :, 0::2, 0::2], x1 = x[:, :, 1::2, 0::2],
        x2 = x[:, :, 0::2, 1::2], x3 = x[:, :, 1::2, 1::2], cat on channels,
        GroupNorm(1, 4C), 1x1 conv (4C -> 2C, no bias)
    GroupNorm(1, 768), AdaptiveAvgPool2d(1), flatten, Linear(768, num_classes)

The shift of piece i (of torch.chunk(x, 5, 1)) by i - 2 after a zero pad of 2 is SPEC
§1 `axial:5:w` (dim 3) / `axial:5:h` (dim 2) with boundary zero. Drop-path and dropout
are off (rate 0, eval).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from ._common import randomize_norms_


def MyNorm(dim):
    return nn.GroupNorm(1, dim)


class Mlp(nn.Module):
    def __init__(self, in_features, hidden_features=None, out_features=None,
                 act_layer=nn.GELU, drop=0.):
        super().__init__()
        out_features = out_features or in_features
        hidden_features = hidden_features or in_features
        self.fc1 = nn.Conv2d(in_features, hidden_features, 1, 1)
        self.act = act_layer()
        self.fc2 = nn.Conv2d(hidden_features, out_features, 1, 1)
        self.drop = nn.Dropout(drop)

    def forward(self, x):
        x = self.fc1(x)
        x = self.act(x)
        x = self.drop(x)
        x = self.fc2(x)
        x = self.drop(x)
        return x


def torch_shift(x, shift_size, dim):
    """The official pure-PyTorch axial shift (models/shift_cuda.py): SPEC `axial:S:h`
    for dim 2, `axial:S:w` for dim 3, boundary zero."""
    B_, C, H, W = x.shape
    pad = shift_size // 2

    x = F.pad(x, (pad, pad, pad, pad), "constant", 0)
    xs = torch.chunk(x, shift_size, 1)
    x_shift = [torch.roll(x_c, shift, dim) for x_c, shift in zip(xs, range(-pad, pad + 1))]
    x_cat = torch.cat(x_shift, 1)
    x_cat = torch.narrow(x_cat, 2, pad, H)
    x_cat = torch.narrow(x_cat, 3, pad, W)
    return x_cat


SHIFT_IMPLS = ("torch_shift", "shared_pad")


class AxialShift(nn.Module):
    def __init__(self, dim, shift_size, as_bias=True, proj_drop=0., shift_impl="torch_shift"):
        super().__init__()
        if shift_impl not in SHIFT_IMPLS:
            raise ValueError(f"shift_impl must be one of {SHIFT_IMPLS}")
        self.shift_impl = shift_impl
        self.dim = dim
        self.shift_size = shift_size
        self.pad = shift_size // 2
        self.conv1 = nn.Conv2d(dim, dim, 1, 1, 0, groups=1, bias=as_bias)
        self.conv2_1 = nn.Conv2d(dim, dim, 1, 1, 0, groups=1, bias=as_bias)
        self.conv2_2 = nn.Conv2d(dim, dim, 1, 1, 0, groups=1, bias=as_bias)
        self.conv3 = nn.Conv2d(dim, dim, 1, 1, 0, groups=1, bias=as_bias)
        self.actn = nn.GELU()
        self.norm1 = MyNorm(dim)
        self.norm2 = MyNorm(dim)

    def forward(self, x):
        B_, C, H, W = x.shape

        x = self.conv1(x)
        x = self.norm1(x)
        x = self.actn(x)

        if self.shift_impl == "torch_shift":
            # models/shift_cuda.py's CPU twin of the CUDA Shift(shift_size, dim) modules
            x_shift_lr = torch_shift(x, self.shift_size, 3)
            x_shift_td = torch_shift(x, self.shift_size, 2)
        else:
            # the inline form (commented out in models/as_mlp.py): one pad and one chunk
            # shared by both directions
            x = F.pad(x, (self.pad, self.pad, self.pad, self.pad), "constant", 0)
            xs = torch.chunk(x, self.shift_size, 1)

            def shift(dim):
                x_shift = [torch.roll(x_c, shift, dim)
                           for x_c, shift in zip(xs, range(-self.pad, self.pad + 1))]
                x_cat = torch.cat(x_shift, 1)
                x_cat = torch.narrow(x_cat, 2, self.pad, H)
                x_cat = torch.narrow(x_cat, 3, self.pad, W)
                return x_cat

            x_shift_lr = shift(3)
            x_shift_td = shift(2)

        x_lr = self.conv2_1(x_shift_lr)
        x_td = self.conv2_2(x_shift_td)

        x_lr = self.actn(x_lr)
        x_td = self.actn(x_td)

        x = x_lr + x_td
        x = self.norm2(x)

        x = self.conv3(x)
        return x

    def extra_repr(self):
        return f"dim={self.dim}, shift_size={self.shift_size}"


class AxialShiftedBlock(nn.Module):
    def __init__(self, dim, shift_size=5, mlp_ratio=4., as_bias=True, drop=0.,
                 act_layer=nn.GELU, norm_layer=MyNorm, shift_impl="torch_shift"):
        super().__init__()
        self.dim = dim
        self.norm1 = norm_layer(dim)
        self.axial_shift = AxialShift(dim, shift_size=shift_size, as_bias=as_bias,
                                      proj_drop=drop, shift_impl=shift_impl)
        self.drop_path = nn.Identity()      # drop_path 0 (eval)
        self.norm2 = norm_layer(dim)
        self.mlp = Mlp(in_features=dim, hidden_features=int(dim * mlp_ratio),
                       act_layer=act_layer, drop=drop)

    def forward(self, x):
        shortcut = x
        x = self.norm1(x)
        x = self.axial_shift(x)
        x = shortcut + self.drop_path(x)
        x = x + self.drop_path(self.mlp(self.norm2(x)))
        return x


class PatchMerging(nn.Module):
    def __init__(self, dim, norm_layer=MyNorm):
        super().__init__()
        self.dim = dim
        self.reduction = nn.Conv2d(4 * dim, 2 * dim, 1, 1, bias=False)
        self.norm = norm_layer(4 * dim)

    def forward(self, x):
        B, C, H, W = x.shape
        assert H % 2 == 0 and W % 2 == 0, f"x size ({H}*{W}) are not even."
        x0 = x[:, :, 0::2, 0::2]  # B C H/2 W/2
        x1 = x[:, :, 1::2, 0::2]
        x2 = x[:, :, 0::2, 1::2]
        x3 = x[:, :, 1::2, 1::2]
        x = torch.cat([x0, x1, x2, x3], 1)  # B 4C H/2 W/2
        x = self.norm(x)
        x = self.reduction(x)
        return x


class BasicLayer(nn.Module):
    def __init__(self, dim, depth, shift_size, mlp_ratio=4., as_bias=True, drop=0.,
                 norm_layer=MyNorm, downsample=None, shift_impl="torch_shift"):
        super().__init__()
        self.blocks = nn.ModuleList([
            AxialShiftedBlock(dim=dim, shift_size=shift_size, mlp_ratio=mlp_ratio,
                              as_bias=as_bias, drop=drop, norm_layer=norm_layer,
                              shift_impl=shift_impl)
            for _ in range(depth)])
        self.downsample = downsample(dim, norm_layer=norm_layer) if downsample else None

    def forward(self, x):
        for blk in self.blocks:
            x = blk(x)
        if self.downsample is not None:
            x = self.downsample(x)
        return x


class PatchEmbed(nn.Module):
    def __init__(self, patch_size=4, in_chans=3, embed_dim=96, norm_layer=None):
        super().__init__()
        self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=patch_size, stride=patch_size)
        self.norm = norm_layer(embed_dim) if norm_layer is not None else None

    def forward(self, x):
        x = self.proj(x)
        if self.norm is not None:
            x = self.norm(x)
        return x


class AS_MLP(nn.Module):
    def __init__(self, patch_size=4, in_chans=3, num_classes=1000, embed_dim=96,
                 depths=(2, 2, 6, 2), shift_size=5, mlp_ratio=4., as_bias=True,
                 drop_rate=0., norm_layer=MyNorm, patch_norm=True, shift_impl="torch_shift"):
        super().__init__()
        self.num_layers = len(depths)
        self.num_features = int(embed_dim * 2 ** (self.num_layers - 1))
        self.patch_embed = PatchEmbed(patch_size, in_chans, embed_dim,
                                      norm_layer if patch_norm else None)
        self.pos_drop = nn.Dropout(p=drop_rate)
        self.layers = nn.ModuleList()
        for i in range(self.num_layers):
            self.layers.append(BasicLayer(
                dim=int(embed_dim * 2 ** i), depth=depths[i], shift_size=shift_size,
                mlp_ratio=mlp_ratio, as_bias=as_bias, drop=drop_rate, norm_layer=norm_layer,
                downsample=PatchMerging if i < self.num_layers - 1 else None,
                shift_impl=shift_impl))
        self.norm = norm_layer(self.num_features)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(self.num_features, num_classes) if num_classes > 0 else nn.Identity()

    def forward_features(self, x):
        x = self.patch_embed(x)
        x = self.pos_drop(x)
        for layer in self.layers:
            x = layer(x)
        x = self.norm(x)
        x = self.avgpool(x)
        x = torch.flatten(x, 1)
        return x

    def forward(self, x):
        x = self.forward_features(x)
        x = self.head(x)
        return x


def asmlp_t(num_classes=1000, shift_size=5, shift_impl="torch_shift", seed=0, randomize=True):
    """AS-MLP-T (about 28 M parameters; 224x224 inputs, any multiple of 32 works), eval
    mode, fixed seed. shift_impl: "torch_shift" (one pad + chunk + roll + cat + narrow per
    direction, the official models/shift_cuda.py function) or "shared_pad" (one pad and
    chunk shared by both directions, the inline form of models/as_mlp.py)."""
    torch.manual_seed(seed)
    model = AS_MLP(patch_size=4, num_classes=num_classes, embed_dim=96, depths=(2, 2, 6, 2),
                   shift_size=shift_size, mlp_ratio=4., shift_impl=shift_impl)
    if randomize:
        randomize_norms_(model, seed + 1)
    return model.eval()
