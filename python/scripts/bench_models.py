#!/usr/bin/env python3
"""End-to-end latency of the reference networks: PyTorch vs the shiftnn runtime.

    /usr/bin/python3 python/scripts/bench_models.py [--networks a,b] [--batches 1,8]
                     [--threads 1,2] [--repeat 20] [--min-time 1.0] [--no-jit]

For every network (default: shift_resnet20, s2mlp, asmlp_t, cyclemlp_block), batch and
thread count:
  torch eager   torch.set_num_threads(T), torch.no_grad(), warm-up, then the median of
                repeated runs (at least 3, until --min-time seconds have passed)
  torch jit     the same model through torch.jit.trace + torch.jit.optimize_for_inference
                (frozen, convolutions moved to oneDNN): a stronger PyTorch baseline than
                eager on a torch whose BLAS is slow (Debian's 1.13 uses reference netlib
                BLAS for Linear and non-oneDNN Conv2d). Skipped with --no-jit.
  shiftnn       the network exported once (shiftnn.export, batch-1 example) to a temp
                dir, then `shiftnn run MODEL.json --input X.npy --output Y.npy --profile
                --repeat R --threads T` with OMP_NUM_THREADS=T; the time is the CLI's
                in-process "run X us": the median wall time of whole runs (load, planning
                and process start-up excluded).
Parity: max|y_shiftnn - y_torch| / max|y_torch| on the same input.

The CLI is $SHIFTNN_CLI, default build/shiftnn in the repository root. The machine is
shared (2 cores): the load average is printed with the table; compare rows of one run.
"""
import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
import torch  # noqa: E402

from check_parity import default_cli, rel_error  # noqa: E402

RUN_RE = re.compile(r"^run\s+([0-9.eE+-]+)\s*us", re.M)


def time_torch(fn, x, min_time, max_reps=50, warmup=2):
    with torch.no_grad():
        for _ in range(warmup):
            y = fn(x)
        ts, start = [], time.perf_counter()
        while len(ts) < 3 or (time.perf_counter() - start < min_time and len(ts) < max_reps):
            t0 = time.perf_counter()
            y = fn(x)
            ts.append(time.perf_counter() - t0)
    return statistics.median(ts) * 1e3, y


def time_shiftnn(cli, model_json, x, workdir, threads, repeat):
    xin = os.path.join(workdir, "bench_in.npy")
    yout = os.path.join(workdir, "bench_out.npy")
    np.save(xin, np.ascontiguousarray(x, dtype=np.float32))
    if os.path.exists(yout):
        os.remove(yout)
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    cmd = [cli, "run", model_json, "--input", xin, "--output", yout, "--threads", str(threads),
           "--profile", "--repeat", str(repeat)]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {p.returncode}: {p.stderr.strip()}")
    m = RUN_RE.search(p.stdout)
    if not m:
        raise RuntimeError(f"no 'run ... us' line in the profile output of {' '.join(cmd)}")
    return float(m.group(1)) / 1e3, np.load(yout), p.stdout


def cpu_name():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def main(argv=None):
    from shiftnn.models import MAIN_NETWORKS, REFERENCE_NETWORKS

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--networks", default=",".join(MAIN_NETWORKS),
                    help="comma-separated subset of: " + ", ".join(REFERENCE_NETWORKS))
    ap.add_argument("--batches", default="1,8")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--repeat", type=int, default=20, help="shiftnn --repeat")
    ap.add_argument("--min-time", type=float, default=1.0, help="seconds of torch runs per row")
    ap.add_argument("--no-jit", action="store_true", help="skip the torch.jit baseline")
    ap.add_argument("--cli", default=default_cli())
    ap.add_argument("--keep", help="export into this directory (kept) instead of a temp dir")
    ap.add_argument("--profiles", action="store_true", help="also print every shiftnn profile")
    ap.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args(argv)

    import shiftnn
    if not os.path.exists(args.cli):
        print(f"shiftnn CLI not found at {args.cli} (set SHIFTNN_CLI)", file=sys.stderr)
        return 2
    names = [n for n in args.networks.split(",") if n]
    for n in names:
        if n not in REFERENCE_NETWORKS:
            print(f"unknown network {n}", file=sys.stderr)
            return 2
    batches = [int(b) for b in args.batches.split(",")]
    threads = [int(t) for t in args.threads.split(",")]
    tmp = tempfile.TemporaryDirectory(prefix="shiftnn_bench_")
    outdir = args.keep or tmp.name
    os.makedirs(outdir, exist_ok=True)

    load0 = os.getloadavg()
    rows = []
    for name in names:
        build, shape = REFERENCE_NETWORKS[name]
        model = build()
        g = torch.Generator().manual_seed(args.seed)
        path = os.path.join(outdir, name)
        shiftnn.export(model, torch.randn(shape, generator=g), path)
        jit = None
        if not args.no_jit:
            import warnings
            with warnings.catch_warnings(), torch.no_grad():
                warnings.simplefilter("ignore")
                jit = torch.jit.optimize_for_inference(
                    torch.jit.trace(model, torch.randn(shape, generator=g)))
        for b in batches:
            x = torch.randn((b,) + tuple(shape[1:]), generator=g)
            for t in threads:
                torch.set_num_threads(t)
                t_eager, y = time_torch(model, x, args.min_time)
                t_jit = time_torch(jit, x, args.min_time)[0] if jit is not None else None
                t_sn, ys, prof = time_shiftnn(args.cli, path + ".json", x.numpy(), outdir, t,
                                              args.repeat)
                rel = rel_error(ys, y.numpy())[0]
                rows.append((name, b, t, t_eager, t_jit, t_sn, rel))
                if args.profiles:
                    print(f"--- {name} batch {b} threads {t}\n{prof}", file=sys.stderr)
                print(f"{name} b{b} t{t}: eager {t_eager:.2f} ms, jit "
                      f"{'-' if t_jit is None else f'{t_jit:.2f}'} ms, shiftnn {t_sn:.3f} ms, "
                      f"rel err {rel:.1e}", file=sys.stderr, flush=True)
    load1 = os.getloadavg()

    print(f"torch {torch.__version__} (BLAS: {'netlib/generic' if 'BLAS_INFO=generic' in torch.__config__.show() else 'see torch.__config__'}), "
          f"CPU {cpu_name()}, {os.cpu_count()} cores, load average {load0[0]:.1f} -> {load1[0]:.1f}")
    print()
    jit_cols = " torch jit ms |" if not args.no_jit else ""
    jit_sep = "---|" if not args.no_jit else ""
    print(f"| network | batch | threads | torch eager ms |{jit_cols} shiftnn ms | speed-up vs eager |"
          f"{' speed-up vs best torch |' if not args.no_jit else ''} parity (rel err) |")
    print(f"|---|---|---|---|{jit_sep}---|---|{'---|' if not args.no_jit else ''}---|")
    for name, b, t, te, tj, ts, rel in rows:
        cells = [name, str(b), str(t), f"{te:.2f}"]
        if not args.no_jit:
            cells.append(f"{tj:.2f}")
        cells += [f"{ts:.3f}", f"{te / ts:.1f}x"]
        if not args.no_jit:
            cells.append(f"{min(te, tj) / ts:.1f}x")
        cells.append(f"{rel:.1e}")
        print("| " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
