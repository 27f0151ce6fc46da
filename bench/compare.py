"""Runs bench_shift and the PyTorch peer (bench/torch_peer.py) in one go and prints
markdown tables:
  (a) strategy copy against a memcpy of the same bytes, per shape, layout, boundary
      and thread count (target: >= 0.9x from 1x768x7x7 up to 32x64x32x32);
  (b) every shiftnn strategy against its PyTorch counterpart (nchw, quad, replicate:
      the peer's semantics).
Times are medians of repetitions: CPU time for one thread, wall time for more.
Run with /usr/bin/python3 (the one with torch)."""
import argparse
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SUITE = ["1x8x5x5", "1x96x56x56", "1x192x28x28", "1x384x14x14", "1x768x7x7", "1x768x14x14",
         "8x96x56x56", "32x64x32x32"]
QUICK = ["1x96x56x56", "1x768x7x7", "32x64x32x32"]
DRAM = "64x256x56x56"
# The memcpy target holds from 1x768x7x7 (the smallest but one) up to 32x64x32x32.
TARGET_SHAPES = SUITE[1:]
TARGET = 0.9
STRATEGIES = ["copy", "roll", "deform", "dwconv", "gridsample"]
PEER_OF = {"copy": "slice", "roll": "roll", "deform": "deform_conv2d", "dwconv": "dwconv3x3",
           "gridsample": "grid_sample"}


def run_bench(bench, shapes, threads, strategies, quick, repetitions):
    s = "|".join(re.escape(x) for x in shapes)
    t = "|".join(map(str, threads))
    strat = "|".join(strategies)
    pattern = (f"^(memcpy/({s})/t({t})|shift/copy/(nchw|nhwc)/(zero|keep)/({s})/t({t})"
               f"|shift/({strat})/nchw/replicate/({s})/t({t}))(/|$)")
    cmd = [bench, f"--benchmark_filter={pattern}", "--benchmark_format=json",
           f"--benchmark_repetitions={repetitions}", "--benchmark_report_aggregates_only=true"]
    if quick:
        cmd.append("--benchmark_min_time=0.02")
    env = dict(os.environ)
    if DRAM in shapes:
        env["SHIFTNN_BENCH_DRAM"] = "1"
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, env=env, text=True).stdout
    rows = {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("aggregate_name") != "median":
            continue
        name = re.sub(r"/(min_time:[^/]*|real_time)", "", b["run_name"])
        one_thread = name.endswith("/t1")
        assert b["time_unit"] == "us", b["time_unit"]
        rows[name] = {"us": b["cpu_time"] if one_thread else b["real_time"],
                      "label": b.get("label", "")}
    return rows


def run_peer(shapes, threads, quick):
    cmd = ["/usr/bin/python3", os.path.join(HERE, "torch_peer.py"), "--threads", str(threads),
           "--shapes", ",".join(shapes), "--min-time", "0.1" if quick else "0.5"]
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
    return {r["shape"]: r for r in json.loads(out)["rows"]}


def mib(shape):
    n = 1
    for d in shape.split("x"):
        n *= int(d)
    return n * 4 / 2**20


def us(t):
    """Microseconds with about three significant digits."""
    return f"{t:.3f}" if t < 1 else f"{t:.2f}" if t < 10 else f"{t:.1f}" if t < 1000 else f"{t:.0f}"


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def memcpy_table(bench, shapes, t):
    """Cells: time in us (memcpy time / copy time); a miss of the target is bold."""
    header = ["shape", "MiB", f"memcpy t{t} (us)"]
    cases = [(lay, bnd) for lay in ("nchw", "nhwc") for bnd in ("zero", "keep")]
    header += [f"copy {lay} {bnd}" for lay, bnd in cases]
    rows = []
    for s in shapes:
        base = bench.get(f"memcpy/{s}/t{t}")
        if base is None:
            continue
        row = [s, f"{mib(s):.2f}", us(base["us"])]
        for lay, bnd in cases:
            r = bench.get(f"shift/copy/{lay}/{bnd}/{s}/t{t}")
            if r is None:
                row.append("-")
                continue
            ratio = base["us"] / r["us"]
            cell = f"{us(r['us'])} ({ratio:.2f}x)"
            row.append(f"**{cell}**" if s in TARGET_SHAPES and ratio < TARGET else cell)
        rows.append(row)
    return table(header, rows)


def peer_table(bench, peer, shapes, strategies, t):
    """Speed-up: PyTorch time / shiftnn time."""
    header = ["shape", "shiftnn", "kernel", "shiftnn (us)", "PyTorch", "PyTorch (us)", "speed-up"]
    rows = []
    for s in shapes:
        pairs = [("memcpy", f"memcpy/{s}/t{t}", "clone")]
        pairs += [(k, f"shift/{k}/nchw/replicate/{s}/t{t}", PEER_OF[k]) for k in strategies]
        for ours, key, theirs in pairs:
            r = bench.get(key)
            if r is None or s not in peer:
                continue
            p = peer[s][theirs]
            rows.append([s, ours, r["label"], us(r["us"]), theirs, us(p),
                         f"{p / r['us']:.1f}x"])
    return table(header, rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench", default=os.path.join(HERE, "..", "build", "bench", "bench_shift"),
                    help="path to the bench_shift executable")
    ap.add_argument("--quick", action="store_true", help="three shapes, short timings")
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    ap.add_argument("--strategies", default=",".join(STRATEGIES),
                    help="strategies for table (b), comma-separated")
    ap.add_argument("--dram", action="store_true", help=f"add {DRAM} to table (a)")
    args = ap.parse_args()

    threads = [int(t) for t in args.threads.split(",")]
    strategies = args.strategies.split(",")
    shapes = QUICK if args.quick else SUITE
    bench_shapes = shapes + ([DRAM] if args.dram else [])
    bench = run_bench(args.bench, bench_shapes, threads, strategies, args.quick,
                      3 if args.quick else 5)
    peers = {t: run_peer(shapes, t, args.quick) for t in threads}

    for t in threads:
        print(f"\n### (a) copy vs memcpy, {t} thread{'s' if t > 1 else ''} "
              f"(memcpy time / copy time; target >= {TARGET}x, misses in bold)\n")
        print(memcpy_table(bench, bench_shapes, t))
    for t in threads:
        print(f"\n### (b) shiftnn vs PyTorch {t} thread{'s' if t > 1 else ''} "
              "(nchw, quad, replicate; speed-up = PyTorch time / shiftnn time)\n")
        print(peer_table(bench, peers[t], shapes, strategies, t))
    return 0


if __name__ == "__main__":
    sys.exit(main())
