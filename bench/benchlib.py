"""Shared pieces of bench/compare.py and bench/report.py: running bench_shift and the
PyTorch peer (bench/torch_peer.py), reading their JSON, formatting markdown tables.
Times are medians of repetitions, in microseconds: CPU time for one thread, wall time
for more. Run with /usr/bin/python3 (the one with torch)."""
import json
import os
import re
import subprocess

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
PEER_STRATEGIES = ["slice", "roll", "deform_conv2d", "dwconv3x3", "grid_sample"]


def pinned_env():
    """Environment for bench_shift and the peer: one OpenMP thread per core unless the
    caller chose. Unpinned, a thread that moved between cores made the paired copy run up
    to 2x slower than alone at 2 threads (1x192x28x28). Not for processes that start
    others: libgomp binds the initial thread, and a child inherits that one core."""
    return {k: os.environ.get(k, v) for k, v in (("OMP_PROC_BIND", "true"),
                                                   ("OMP_PLACES", "cores"))}


def suite_filter(shapes, threads, strategies):
    """bench_shift filter: memcpy, copy nchw/nhwc zero/keep, and every strategy in the
    peer's semantics (nchw, replicate), for these shapes and thread counts."""
    s = "|".join(re.escape(x) for x in shapes)
    t = "|".join(map(str, threads))
    strat = "|".join(strategies)
    return (f"memcpy/({s})/t({t})|(shift/copy(_nt)?|paired/copy)/(nchw|nhwc)/(zero|keep)/({s})"
            f"/t({t})|paired/copy/nchw/zero/{re.escape(ALONG_W)}/({s})/t({t})"
            f"|shift/({strat})/nchw/replicate/({s})/t({t})")


def run_bench_json(bench, pattern, repetitions, min_time=None, env=None):
    """Google Benchmark's own JSON output (a dict) for the benchmarks matching pattern."""
    cmd = [bench, f"--benchmark_filter=^({pattern})(/|$)", "--benchmark_format=json",
           f"--benchmark_repetitions={repetitions}", "--benchmark_report_aggregates_only=true"]
    if min_time is not None:
        cmd.append(f"--benchmark_min_time={min_time}")
    full_env = dict(os.environ, **pinned_env())
    full_env.update(env or {})
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, env=full_env, text=True).stdout
    return json.loads(out)


# A shift along w only: copy's nchw kernel moves it as one vector loop with the border
# column masked (runs along h and the identity are left to memcpy), the most a kernel
# storing through vector registers does on the host, beside memcpy (glibc's `rep movsb`
# in the caches, which outran every vector loop by 1.3-1.9x on a Zen 5).
ALONG_W = "uniform:0,1"

PAIRED_COUNTERS = ("memcpy_us", "copy_us", "memcpy_per_copy")


def bench_medians(result):
    """{name without min_time/real_time/manual_time: {"us": median, "label": kernel}}, and
    for paired/ benchmarks (which time themselves) their counters' medians."""
    rows = {}
    for b in result["benchmarks"]:
        if b.get("aggregate_name") != "median" or b.get("error_occurred"):
            continue
        name = re.sub(r"/(min_time:[^/]*|real_time|manual_time)", "", b["run_name"])
        one_thread = not re.search(r"/t(\d+)$", name) or name.endswith("/t1")
        cpu = one_thread and not name.startswith("paired/")
        assert b["time_unit"] == "us", b["time_unit"]
        rows[name] = {"us": b["cpu_time"] if cpu else b["real_time"], "label": b.get("label", "")}
        rows[name].update({k: b[k] for k in PAIRED_COUNTERS if k in b})
    return rows


def run_bench(bench, shapes, threads, strategies, quick, repetitions):
    env = {"SHIFTNN_BENCH_DRAM": "1"} if DRAM in shapes else {}
    result = run_bench_json(bench, suite_filter(shapes, threads, strategies), repetitions,
                            0.02 if quick else None, env)
    return bench_medians(result)


def run_peer_json(threads, shapes=None, sweep=None, min_time=0.5, repeats=5):
    """The peer's JSON for one thread count: the suite shapes, or a size sweep
    (sweep = max bytes) of clone and slice."""
    cmd = ["/usr/bin/python3", os.path.join(HERE, "torch_peer.py"), "--threads", str(threads),
           "--min-time", str(min_time), "--repeats", str(repeats)]
    cmd += ["--sweep", str(sweep)] if sweep else ["--shapes", ",".join(shapes)]
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True,
                         env=dict(os.environ, **pinned_env())).stdout
    return json.loads(out)


def run_peer(shapes, threads, quick):
    result = run_peer_json(threads, shapes, min_time=0.1 if quick else 0.5)
    return {r["shape"]: r for r in result["rows"]}


def elements(shape):
    n = 1
    for d in shape.split("x"):
        n *= int(d)
    return n


def mib(shape):
    return elements(shape) * 4 / 2**20


def us(t):
    """Microseconds with about three significant digits."""
    return f"{t:.3f}" if t < 1 else f"{t:.2f}" if t < 10 else f"{t:.1f}" if t < 1000 else f"{t:.0f}"


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def ratio_text(ratio):
    """Two decimals, or three where two would round a miss of the target up to it."""
    return f"{ratio:.3f}x" if ratio < TARGET <= round(ratio, 2) else f"{ratio:.2f}x"


def memcpy_table(bench, shapes, t, copy="copy"):
    """Cells: time in us (memcpy time / copy time); a miss of the target is bold.
    copy: "copy", or "copy_nt" for the variant with streaming stores."""
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
            r = bench.get(f"shift/{copy}/{lay}/{bnd}/{s}/t{t}")
            if r is None:
                row.append("-")
                continue
            ratio = base["us"] / r["us"]
            cell = f"{us(r['us'])} ({ratio_text(ratio)})"
            row.append(f"**{cell}**" if s in TARGET_SHAPES and ratio < TARGET else cell)
        rows.append(row)
    return table(header, rows)


def paired_table(bench, shapes, t):
    """Cells: median of memcpy time / copy time over iterations that ran both (memcpy us /
    copy us, medians); a miss of the target is bold."""
    header = ["shape", "MiB"]
    cases = [(lay, bnd) for lay in ("nchw", "nhwc") for bnd in ("zero", "keep")]
    header += [f"copy {lay} {bnd}" for lay, bnd in cases] + ["vector loop (`uniform:0,1`)"]
    rows = []
    for s in shapes:
        row = [s, f"{mib(s):.2f}"]
        for lay, bnd in cases + [("nchw", f"zero/{ALONG_W}")]:
            r = bench.get(f"paired/copy/{lay}/{bnd}/{s}/t{t}")
            if r is None or "memcpy_per_copy" not in r:
                row.append("-")
                continue
            ratio = r["memcpy_per_copy"]
            cell = f"{ratio_text(ratio)} ({us(r['memcpy_us'])} / {us(r['copy_us'])})"
            miss = s in TARGET_SHAPES and ratio < TARGET and ALONG_W not in bnd
            row.append(f"**{cell}**" if miss else cell)
        if any(c != "-" for c in row[2:]):
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
