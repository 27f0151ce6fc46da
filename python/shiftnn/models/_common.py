"""Shared helpers for the reference networks: the shift module and randomised
normalisation statistics."""
import torch
import torch.nn as nn

from .._shift import Shift

__all__ = ["make_shift", "randomize_norms_", "count_parameters"]


def make_shift(pattern, boundary="zero"):
    """The package's shift module (SPEC §1), exported as one Shift node."""
    return Shift(pattern, boundary)


# ---------------------------------------------------------------------------------------
# Randomised normalisation layers, so that BatchNorm folding and the affine parts of
# GroupNorm / LayerNorm are really exercised (fresh modules have mean 0, var 1, w 1, b 0).

@torch.no_grad()
def randomize_norms_(model, seed=0):
    g = torch.Generator().manual_seed(seed)

    def u(shape, lo, hi):
        return torch.rand(shape, generator=g) * (hi - lo) + lo

    def nrm(shape, std):
        return torch.randn(shape, generator=g) * std

    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            c = m.num_features
            m.running_mean.copy_(nrm(c, 0.3))
            m.running_var.copy_(u(c, 0.5, 2.0))
            if m.affine:
                m.weight.copy_(u(c, 0.5, 1.5))
                m.bias.copy_(nrm(c, 0.2))
        elif isinstance(m, (nn.GroupNorm, nn.LayerNorm)):
            if getattr(m, "weight", None) is not None:
                m.weight.copy_(u(m.weight.shape, 0.5, 1.5))
            if getattr(m, "bias", None) is not None:
                m.bias.copy_(nrm(m.bias.shape, 0.1))
    return model


def count_parameters(model):
    return sum(p.numel() for p in model.parameters())
