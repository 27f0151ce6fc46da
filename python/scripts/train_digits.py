#!/usr/bin/env python3
"""Train a small shift network on sklearn's 8x8 digits, export it for the C++ runtime.

    /usr/bin/python3 python/scripts/train_digits.py [--out DIR] [--epochs N]

Data: sklearn.datasets.load_digits (1797 images, 8x8, values 0..16), divided by 16 and
standardised with the training split's mean and std; a fixed stratified 80/20 split
(random_state 0). Model: shiftnn.models.digits_shiftnet (conv stem, two ShiftResNet
blocks with grouped:3 shifts, global pool, linear). Adam, fixed seed, CPU, seconds.

Writes to DIR (default: models/ in the repository root):
    digits.json, digits.safetensors   shiftnn.export of the trained model (eval mode), which
                                      normalises raw 0..16 pixels itself
    digits_test_x.npy                 held-out inputs, N x 1 x 8 x 8 float32, raw values 0..16
    digits_test_y.npy                 held-out labels, float32
    digits_torch_pred.npy             PyTorch's predicted labels on them, float32
Prints the held-out accuracy.
"""
import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def load_split(seed=0):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    d = load_digits()
    x = (d.images.astype(np.float32) / 16.0)[:, None, :, :]      # N, 1, 8, 8
    y = d.target.astype(np.int64)
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.2, stratify=y, random_state=seed)
    mean, std = float(xtr.mean()), float(xtr.std())
    xtr = ((xtr - mean) / std).astype(np.float32)
    xte = ((xte - mean) / std).astype(np.float32)
    return xtr, ytr, xte, yte, mean, std


class RawPixels(torch.nn.Module):
    """The trained model on raw load_digits values (0..16): the normalisation is part of
    the exported graph, so users feed images as scikit-learn gives them."""

    def __init__(self, model, mean, std):
        super().__init__()
        self.model, self.mean, self.std = model, mean, std

    def forward(self, x):
        return self.model((x / 16.0 - self.mean) / self.std)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "models"))
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1,
                    help="torch threads (1: on a shared 2-core machine 2 can be far slower)")
    ap.add_argument("--no-check", dest="check", action="store_false",
                    help="do not run the exported model with the shiftnn CLI afterwards")
    args = ap.parse_args(argv)

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    from shiftnn.models import digits_shiftnet

    xtr, ytr, xte, yte, mean, std = load_split(args.seed)
    print(f"digits: {len(xtr)} train / {len(xte)} held-out, x = (v/16 - {mean:.4f}) / {std:.4f}")
    model = digits_shiftnet(seed=args.seed)
    print(f"model: {sum(p.numel() for p in model.parameters()):,} parameters, "
          f"shift {type(model.block1.shift2).__module__}.{type(model.block1.shift2).__name__}")

    opt = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=1e-4)
    steps = args.epochs * ((len(xtr) + args.batch - 1) // args.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps)
    xt, yt = torch.from_numpy(xtr), torch.from_numpy(ytr)
    g = torch.Generator().manual_seed(args.seed)
    t0 = time.perf_counter()
    for ep in range(args.epochs):
        model.train()
        perm = torch.randperm(len(xt), generator=g)
        tot, n = 0.0, 0
        for i in range(0, len(xt), args.batch):
            idx = perm[i:i + args.batch]
            xb = xt[idx]
            # light augmentation: random 1-pixel translation (zero fill)
            dy, dx = torch.randint(-1, 2, (2,), generator=g).tolist()
            if dy or dx:
                xb = torch.roll(F.pad(xb, (1, 1, 1, 1), value=float(-mean / std)), (dy, dx), (2, 3))[:, :, 1:-1, 1:-1]
            loss = F.cross_entropy(model(xb), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            tot += loss.item() * len(idx)
            n += len(idx)
        if ep % 5 == 4 or ep == args.epochs - 1:
            print(f"epoch {ep + 1:3d}  loss {tot / n:.4f}  ({time.perf_counter() - t0:.1f} s)")

    model.eval()
    xe = torch.from_numpy(xte)
    with torch.no_grad():
        logits = model(xe)
    pred = logits.argmax(1).numpy()
    acc = float((pred == yte).mean())
    print(f"held-out accuracy: {acc * 100:.2f}% ({int((pred == yte).sum())}/{len(yte)}), "
          f"training {time.perf_counter() - t0:.1f} s")

    os.makedirs(args.out, exist_ok=True)
    raw = RawPixels(model, mean, std).eval()
    raw_test = torch.from_numpy((xte * std + mean) * 16.0).round()  # back to 0..16
    with torch.no_grad():
        assert torch.equal(raw(raw_test).argmax(1), logits.argmax(1))
    np.save(os.path.join(args.out, "digits_test_x.npy"), raw_test.numpy().astype(np.float32))
    np.save(os.path.join(args.out, "digits_test_y.npy"), yte.astype(np.float32))
    np.save(os.path.join(args.out, "digits_torch_pred.npy"), pred.astype(np.float32))

    import shiftnn
    path = os.path.join(args.out, "digits")
    shiftnn.export(raw, raw_test[:1].clone(), path)
    print(f"exported {path}.json + {path}.safetensors; test data in {args.out}")

    # Cross-check with the C++ runtime when its CLI is there ($SHIFTNN_CLI or build/shiftnn).
    cli = os.environ.get("SHIFTNN_CLI", os.path.join(ROOT, "build", "shiftnn"))
    if args.check and os.path.exists(cli):
        import subprocess
        import tempfile
        with tempfile.TemporaryDirectory() as td:
            yout = os.path.join(td, "logits.npy")
            p = subprocess.run([cli, "run", path + ".json", "--input",
                                os.path.join(args.out, "digits_test_x.npy"), "--output", yout,
                                "--threads", "1"], capture_output=True, text=True)
            if p.returncode != 0:
                print(f"shiftnn run failed: {p.stderr.strip()}", file=sys.stderr)
                return 1
            sl = np.load(yout).reshape(len(yte), -1)
        spred = sl.argmax(1)
        rel = float(np.abs(sl - logits.numpy()).max() / np.abs(logits.numpy()).max())
        print(f"shiftnn runtime: accuracy {(spred == yte).mean() * 100:.2f}%, predictions agree "
              f"with PyTorch on {int((spred == pred).sum())}/{len(pred)}, logits rel err {rel:.1e}")
        if (spred != pred).any():
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
