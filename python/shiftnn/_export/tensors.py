"""Tensors of the runtime graph as seen from PyTorch (Act, Lazy, Unavailable)."""
import numpy as np
import torch

BIG = 2147483647  # a Slice stop that covers any batch size (stops clamp)


class Act:
    """A traced tensor t that is a view of runtime tensor `name` (R, logical N,C,H,W):
    t == R.permute(perm).reshape(tshape). rank is the runtime rank (2 after Flatten or
    Linear, else 4)."""

    __slots__ = ("name", "rshape", "rank", "perm", "tshape")

    def __init__(self, name, rshape, rank=4, perm=(0, 1, 2, 3), tshape=None):
        self.name = name
        self.rshape = tuple(int(d) for d in rshape)
        self.rank = rank
        self.perm = tuple(perm)
        self.tshape = tuple(int(d) for d in (tshape if tshape is not None else rshape))

    def view(self, tshape):
        return Act(self.name, self.rshape, self.rank, self.perm, tshape)

    def groups(self):
        """For each torch dim, the tuple of R dims (of size > 1) it spans, in order; None when
        a torch dim splits an R dim (a reshape that is not a merge)."""
        pdims = [r for r in self.perm if self.rshape[r] != 1]
        out, i = [], 0
        for size in self.tshape:
            if size == 1:
                out.append(())
                continue
            group, prod = [], 1
            while prod < size and i < len(pdims):
                group.append(pdims[i])
                prod *= self.rshape[pdims[i]]
                i += 1
            if prod != size:
                return None
            out.append(tuple(group))
        return out

    def axis_of(self, dim):
        """The R dim of torch dim `dim` (None when it spans several or none)."""
        g = self.groups()
        if g is None:
            return None
        dim = dim % len(self.tshape)
        if len(g[dim]) == 1:
            return g[dim][0]
        return None

    def layout(self):
        """'nchw' or 'nhwc' when the torch tensor is R in that order (4-D), else None."""
        if len(self.tshape) != 4:
            return None
        g = self.groups()
        if g is None:
            return None
        for name, order in (("nchw", (0, 1, 2, 3)), ("nhwc", (0, 2, 3, 1))):
            if self.tshape == tuple(self.rshape[r] for r in order) and all(
                    gi in ((), (r,)) for gi, r in zip(g, order)):
                return name
        return None


class Lazy:
    """Pieces of torch.split / chunk / unbind: materialised as Slices when used."""

    def __init__(self, act, dim, starts, sizes, squeeze=False):
        self.act, self.dim, self.starts, self.sizes, self.squeeze = act, dim, starts, sizes, squeeze


class Unavailable:
    """A secondary output (e.g. LayerNorm's mean) that the runtime does not compute."""

    def __init__(self, what):
        self.what = what


def inverse(p):
    inv = [0] * len(p)
    for i, d in enumerate(p):
        inv[d] = i
    return tuple(inv)


def f32(t):
    if isinstance(t, torch.Tensor):
        t = t.detach().cpu().to(torch.float64).numpy()
    return np.ascontiguousarray(np.asarray(t, dtype=np.float32))
