"""Golden files for the GridSample operator (SPEC §3), made by PyTorch itself.

Run with Debian's /usr/bin/python3 (torch 1.13):
    /usr/bin/python3 tools/make_grid_sample_golden.py [OUT_DIR]
Writes input.npy (2x3x5x7), grid.npy (2x4x6x2, values spanning [-1.3, 1.3] so every
padding mode matters) and one <mode>_<padding>_<ac|noac>.npy per combination.
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "tests", "golden", "grid_sample")
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(20240611)
    x = rng.standard_normal((2, 3, 5, 7)).astype(np.float32)
    grid = rng.uniform(-1.3, 1.3, (2, 4, 6, 2)).astype(np.float32)
    # Exact corners and centre: the align_corners and rounding conventions show there.
    grid[0, 0, :5] = [[-1, -1], [1, 1], [0, 0], [-1, 1], [1.3, -1.3]]
    np.save(os.path.join(out_dir, "input.npy"), x)
    np.save(os.path.join(out_dir, "grid.npy"), grid)
    tx, tg = torch.from_numpy(x), torch.from_numpy(grid)
    for mode in ("bilinear", "nearest"):
        for padding in ("zeros", "border", "reflection"):
            for align in (False, True):
                y = F.grid_sample(tx, tg, mode=mode, padding_mode=padding, align_corners=align)
                name = "%s_%s_%s.npy" % (mode, padding, "ac" if align else "noac")
                np.save(os.path.join(out_dir, name), y.numpy().astype(np.float32))


if __name__ == "__main__":
    main()
