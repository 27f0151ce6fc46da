#!/usr/bin/env python3
"""Export every reference network (shiftnn.models.REFERENCE_NETWORKS) with shiftnn.export,
run it with the C++ runtime (`shiftnn run`) and compare with PyTorch eager on random
inputs. Prints a markdown table; exits 1 if any network fails to export, to run, or
differs by more than --tol.

    /usr/bin/python3 python/scripts/check_parity.py [--networks a,b] [--batches 1,2]
                     [--threads 1] [--tol 1e-4] [--keep DIR]

Relative error = max|y_shiftnn - y_torch| / max|y_torch| (the error relative to the output's
scale; an element-wise ratio is meaningless where y_torch is near 0). The CLI is
$SHIFTNN_CLI, default build/shiftnn in the repository root. Each network is exported once
(example batch 1) and run at every batch of --batches (the runtime takes any N).
"""
import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))

import numpy as np  # noqa: E402
import torch  # noqa: E402


def default_cli():
    return os.environ.get("SHIFTNN_CLI", os.path.join(ROOT, "build", "shiftnn"))


def graph_summary(json_path):
    g = json.load(open(json_path))
    ops = collections.Counter(n["op"] for n in g["nodes"])
    shifts = sorted({f"{n['attrs']['pattern']}/{n['attrs'].get('boundary', 'zero')}"
                     for n in g["nodes"] if n["op"] == "Shift"})
    return len(g["nodes"]), ops, shifts


def run_cli(cli, model_json, x, workdir, threads, extra=()):
    """Run `shiftnn run`; returns (output array, stdout)."""
    xin = os.path.join(workdir, "in.npy")
    yout = os.path.join(workdir, "out.npy")
    np.save(xin, np.ascontiguousarray(x, dtype=np.float32))
    if os.path.exists(yout):
        os.remove(yout)
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    cmd = [cli, "run", model_json, "--input", xin, "--output", yout, "--threads", str(threads),
           *extra]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {p.returncode}: {p.stderr.strip()}")
    return np.load(yout), p.stdout


def rel_error(got, want):
    got = np.asarray(got, np.float64).reshape(want.shape)
    want = np.asarray(want, np.float64)
    scale = max(float(np.abs(want).max()), 1e-30)
    return float(np.abs(got - want).max()) / scale, float(np.abs(got - want).max()), scale


def main(argv=None):
    from shiftnn.models import REFERENCE_NETWORKS

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--networks", default=",".join(REFERENCE_NETWORKS),
                    help="comma-separated subset of: " + ", ".join(REFERENCE_NETWORKS))
    ap.add_argument("--batches", default="1,2")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--cli", default=default_cli())
    ap.add_argument("--keep", help="export into this directory (kept) instead of a temp dir")
    ap.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args(argv)

    import shiftnn
    if not os.path.exists(args.cli):
        print(f"shiftnn CLI not found at {args.cli} (set SHIFTNN_CLI)", file=sys.stderr)
        return 2
    torch.set_num_threads(args.threads)
    names = [n for n in args.networks.split(",") if n]
    unknown = [n for n in names if n not in REFERENCE_NETWORKS]
    if unknown:
        print(f"unknown network(s): {', '.join(unknown)}", file=sys.stderr)
        return 2
    batches = [int(b) for b in args.batches.split(",")]

    tmp = tempfile.TemporaryDirectory(prefix="shiftnn_parity_")
    outdir = args.keep or tmp.name
    os.makedirs(outdir, exist_ok=True)
    rows, failed = [], []
    for name in names:
        build, shape = REFERENCE_NETWORKS[name]
        try:
            model = build()
        except ImportError as e:  # e.g. torchvision missing for the deform variant
            rows.append((name, "-", "-", "-", "-", "-", f"skipped ({e})"))
            continue
        g = torch.Generator().manual_seed(args.seed)
        xs = {b: torch.randn((b,) + tuple(shape[1:]), generator=g) for b in batches}
        path = os.path.join(outdir, name)
        t0 = time.perf_counter()
        try:
            shiftnn.export(model, xs[batches[0]][:1].clone(), path)
        except Exception as e:  # noqa: BLE001 - report the exporter's exact words
            rows.append((name, "-", "-", "-", "-", "-", f"EXPORT FAILED: {type(e).__name__}: {e}"))
            failed.append(name)
            continue
        t_export = time.perf_counter() - t0
        nnodes, ops, shifts = graph_summary(path + ".json")
        for b in batches:
            with torch.no_grad():
                want = model(xs[b]).numpy()
            try:
                got, _ = run_cli(args.cli, path + ".json", xs[b].numpy(), outdir, args.threads)
            except Exception as e:  # noqa: BLE001
                rows.append((name, b, "-", "-", "-", "-", f"RUN FAILED: {e}"))
                failed.append(name)
                continue
            if got.size != want.size:
                rows.append((name, b, "-", "-", "-", "-",
                             f"FAIL: output {got.shape} vs torch {want.shape}"))
                failed.append(name)
                continue
            rel, abs_err, scale = rel_error(got, want)
            ok = rel <= args.tol and np.isfinite(got).all()
            if not ok:
                failed.append(name)
            rows.append((name, b, f"{nnodes} ({ops.get('Shift', 0)} Shift)", ", ".join(shifts),
                         f"{abs_err:.2e} / {scale:.2e}", f"{rel:.2e}",
                         ("ok" if ok else "FAIL") + f" (export {t_export:.1f} s)"))
        print(f"{name}: done", file=sys.stderr, flush=True)

    print(f"| network | batch | nodes | shifts (pattern/boundary) | max abs err / max abs | rel err | "
          f"status (tol {args.tol:g}, {args.threads} thread(s)) |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(str(c) for c in r) + " |")
    nfail = len(set(failed))
    print(f"\n{len(names) - nfail} passed, {nfail} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
