"""Benchmark report for scripts/bench: runs bench_shift (suite and size sweep) and the
PyTorch peer in one go and writes into --out: bench_shift.json (Google Benchmark's own
output), torch_peer.json, report.md (machine, headline, tables) and three SVG plots:
relative_to_memcpy_t<T>.svg, bandwidth_vs_size.svg, thread_scaling.svg.
Run with /usr/bin/python3 (the one with torch and matplotlib)."""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)

from benchlib import (PEER_OF, PEER_STRATEGIES, STRATEGIES, SUITE, bench_medians,  # noqa: E402
                      elements, memcpy_table, mib, paired_table, peer_table, pinned_env,
                      run_bench_json, run_peer_json, suite_filter, table, us)

QUICK_SHAPES = ["1x8x5x5", "1x384x14x14", "1x768x7x7"]
FULL_SWEEP = 256 * 2**20  # bytes of one tensor at the sweep's end
QUICK_SWEEP = 4 * 2**20
COLORS = {"copy": "tab:blue", "roll": "tab:orange", "deform": "tab:green", "dwconv": "tab:red",
          "gridsample": "tab:purple", "memcpy": "black", "clone": "tab:gray"}


def thread_counts():
    """bench_shift's thread_counts(): powers of two below all hardware threads, and all."""
    every = os.cpu_count() or 1
    counts, t = [], 1
    while t < every:
        counts.append(t)
        t *= 2
    return counts + [every]


def caches():
    """[(name, bytes of one instance)] from sysfs, e.g. ("L1d", 32768)."""
    found = []
    root = "/sys/devices/system/cpu/cpu0/cache"
    indexes = [i for i in os.listdir(root) if i.startswith("index")] if os.path.isdir(root) else []
    for index in sorted(indexes):
        def read(field):
            with open(os.path.join(root, index, field)) as f:
                return f.read().strip()
        kind = read("type")
        if kind == "Instruction":
            continue
        size = read("size")
        scale = {"K": 2**10, "M": 2**20, "G": 2**30}.get(size[-1], 1)
        name = f"L{read('level')}" + ("d" if kind == "Data" else "")
        shared = read("shared_cpu_list")
        found.append((name, int(size.rstrip("KMG")) * scale, shared))
    return found


def size_text(b):
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if b >= scale:
            v = b / scale
            return f"{v:.0f} {unit}" if v == int(v) else f"{v:.1f} {unit}"
    return f"{b} B"


def machine(shiftnn_cli, torch_version, threads):
    info = {}
    out = subprocess.run([shiftnn_cli, "info"], check=True, stdout=subprocess.PIPE,
                         text=True).stdout
    for line in out.splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            info[k.strip()] = v.strip()
    lscpu = {}
    for line in subprocess.run(["lscpu"], stdout=subprocess.PIPE, text=True).stdout.splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            lscpu[k.strip()] = v.strip()
    cores = lscpu.get("Core(s) per socket", "?")
    rows = [
        # Family and model tell microarchitectures apart where the name does not ("AMD EPYC"
        # under KVM: family 25 is Zen 3/4, 26 Zen 5), and the copy's limits differ between them.
        ("CPU", f"{lscpu.get('Model name', info.get('cpu', '?'))}, family "
                f"{lscpu.get('CPU family', '?')} model {lscpu.get('Model', '?')}"),
        ("cores", f"{os.cpu_count()} logical CPUs ({lscpu.get('Socket(s)', '?')} socket(s) x "
                  f"{cores} cores x {lscpu.get('Thread(s) per core', '?')} threads), "
                  f"{lscpu.get('Hypervisor vendor', 'no')} hypervisor"),
        ("caches (per instance)", ", ".join(
            f"{n} {size_text(b)} (CPUs {s})" for n, b, s in caches())),
        ("ISA", f"detected {info.get('detected isa', '?')}, kernels run "
                f"{info.get('kernel isa', '?')}"),
        ("oneDNN", info.get("onednn", "?")),
        ("PyTorch", f"{torch_version} (Debian python3-torch)"),
        ("kernel", f"{platform.system()} {platform.release()}"),
        ("date", datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")),
        ("threads", f"{', '.join(map(str, threads))} (shiftnn: ShiftOp threads; PyTorch: "
                    "torch.set_num_threads); OMP_NUM_THREADS="
                    f"{os.environ.get('OMP_NUM_THREADS', 'unset')}; bench_shift and the peer "
                    "with " + ", ".join(f"{k}={v}" for k, v in pinned_env().items())),
        ("load average at start", " ".join(f"{x:.2f}" for x in os.getloadavg())),
    ]
    return rows


def plot_relative(bench, peer, shapes, t, path):
    """Grouped bars per shape: every strategy's time over memcpy of the same bytes."""
    fig, ax = plt.subplots(figsize=(14, 6))
    series = [(f"shiftnn {k}", COLORS[k], None, lambda s, k=k: bench.get(
        f"shift/{k}/nchw/replicate/{s}/t{t}", {}).get("us")) for k in STRATEGIES]
    series += [(f"PyTorch {p}", COLORS[k], "//", lambda s, p=p: peer.get(s, {}).get(p))
               for k, p in PEER_OF.items()]
    width = 0.8 / len(series)
    for i, (name, color, hatch, get) in enumerate(series):
        xs, ys = [], []
        for j, s in enumerate(shapes):
            base = bench.get(f"memcpy/{s}/t{t}")
            value = get(s)
            if base and value:
                xs.append(j - 0.4 + width * (i + 0.5))
                ys.append(value / base["us"])
        ax.bar(xs, ys, width, color=color, hatch=hatch, alpha=0.45 if hatch else 1.0,
               edgecolor=color if hatch else "none", label=name)
    ax.axhline(1.0, color="black", linewidth=1, linestyle="--", label="memcpy (= 1)")
    ax.set_yscale("log")
    ax.set_xticks(range(len(shapes)))
    ax.set_xticklabels([f"{s}\n{size_text(elements(s) * 4)}" for s in shapes])
    ax.set_xlabel("shape (N x C x H x W), float32")
    ax.set_ylabel("time / memcpy time of the same bytes (log)")
    ax.set_title(f"Shift time relative to memcpy, {t} thread{'s' if t > 1 else ''} "
                 "(quad, replicate, nchw; lower is better)")
    ax.grid(axis="y", which="both", alpha=0.3)
    ax.legend(ncol=2, fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_bandwidth(bench, sweep_rows, cache_list, path):
    fig, ax = plt.subplots(figsize=(13, 6))

    def line(prefix, label, color, style):
        points = sorted((int(k.split("/")[-1]), v["us"]) for k, v in bench.items()
                        if k.startswith(prefix))
        ax.plot([b for b, _ in points], [2 * b / (u * 1e3) for b, u in points], style,
                color=color, label=label, markersize=4)

    line("sweep/copy/", "shiftnn copy (nchw, zero)", COLORS["copy"], "o-")
    line("sweep/copy_nt/", "shiftnn copy, streaming stores (variant nt)", COLORS["copy"], "^:")
    line("sweep/memcpy/", "memcpy", COLORS["memcpy"], "s-")
    for name, color, style in (("slice", COLORS["copy"], "o--"), ("clone", COLORS["clone"], "s--")):
        points = [(r["bytes"], r[name]) for r in sweep_rows]
        ax.plot([b for b, _ in points], [2 * b / (u * 1e3) for b, u in points], style,
                color=color, alpha=0.6, label=f"PyTorch {name}", markersize=4)
    top = ax.get_ylim()[1]
    largest = max(int(k.split("/")[-1]) for k in bench if k.startswith("sweep/"))
    for name, size, _ in (c for c in cache_list if c[1] <= largest):
        ax.axvline(size, color="tab:brown", linestyle=":", linewidth=1.2)
        ax.text(size * 1.08, top * 0.97, f"{name}\n{size_text(size)}", va="top", fontsize=9,
                color="tab:brown")
    ax.set_xscale("log", base=2)
    ticks = [2**k for k in range(14, 29, 2) if 2**k <= largest * 1.5]
    ax.set_xticks(ticks)
    ax.set_xticklabels([size_text(b) for b in ticks])
    ax.set_ylim(0, top)
    ax.set_xlabel("tensor size (bytes of one tensor, 1xCx56x56 float32; a shift touches 2x)")
    ax.set_ylabel("throughput, GB/s (read + write bytes / time)")
    ax.set_title("Throughput against size, 1 thread")
    ax.grid(which="major", alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_scaling(bench, peers, shapes, threads, path):
    """Speed-up over one thread per shape: memcpy, the five strategies, PyTorch."""
    fig, axes = plt.subplots(1, len(shapes), figsize=(5 * len(shapes) + 2.5, 4.8), squeeze=False)
    series = [("memcpy", COLORS["memcpy"], "-", lambda s, t: bench.get(
        f"memcpy/{s}/t{t}", {}).get("us"))]
    series += [(f"shiftnn {k}", COLORS[k], "-", lambda s, t, k=k: bench.get(
        f"shift/{k}/nchw/replicate/{s}/t{t}", {}).get("us")) for k in STRATEGIES]
    series += [(f"PyTorch {p}", COLORS[k], "--", lambda s, t, p=p: peers[t].get(s, {}).get(p))
               for k, p in [("clone", "clone")] + list(PEER_OF.items())]
    for ax, s in zip(axes[0], shapes):
        for name, color, style, get in series:
            base = get(s, 1)
            points = [(t, base / get(s, t)) for t in threads if base and get(s, t)]
            ax.plot([t for t, _ in points], [v for _, v in points], style, marker="o",
                    color=color, label=name, alpha=1.0 if style == "-" else 0.6)
        ax.plot(threads, threads, ":", color="gray", label="ideal (linear)")
        ax.set_xticks(threads)
        ax.set_xlabel("threads")
        ax.set_ylabel("speed-up over 1 thread")
        ax.set_title(f"{s} ({size_text(elements(s) * 4)})")
        ax.grid(alpha=0.3)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="center right", fontsize=9)
    fig.suptitle("Thread scaling (nchw, quad, replicate; 1 thread CPU time, more: wall time)")
    fig.tight_layout(rect=(0, 0, 1 - 2.3 / (5 * len(shapes) + 2.5), 1))
    fig.savefig(path)
    plt.close(fig)


def headline(bench, peer, shapes):
    """1 thread: copy against memcpy and against PyTorch (slice and the fastest of five)."""
    rows = []
    for s in shapes:
        base = bench.get(f"memcpy/{s}/t1")
        ours = bench.get(f"shift/copy/nchw/replicate/{s}/t1")
        theirs = peer.get(s)
        if not (base and ours and theirs):
            continue
        best = min(PEER_STRATEGIES, key=lambda p: theirs[p])
        rows.append([s, f"{mib(s):.2f}", us(base["us"]), us(ours["us"]),
                     f"{base['us'] / ours['us']:.2f}x", us(theirs["slice"]),
                     f"{theirs['slice'] / ours['us']:.1f}x", f"{best} {us(theirs[best])}",
                     f"{theirs[best] / ours['us']:.1f}x"])
    header = ["shape", "MiB", "memcpy (us)", "shiftnn copy (us)", "memcpy / copy",
              "PyTorch slice (us)", "speed-up over slice", "fastest PyTorch (us)",
              "speed-up over fastest"]
    return table(header, rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--bench", help="bench_shift executable")
    ap.add_argument("--shiftnn", help="shiftnn CLI (for `shiftnn info`)")
    ap.add_argument("--out", required=True, help="report folder")
    ap.add_argument("--quick", action="store_true", help="small shapes, few repetitions")
    ap.add_argument("--replot", action="store_true",
                    help="only redraw report.md and the plots from the JSON in --out")
    args = ap.parse_args()
    if not args.replot:
        os.makedirs(args.out, exist_ok=True)
        measure(args)
    render(args.out)
    return 0


def measure(args):
    """Runs bench_shift and the peer; writes bench_shift.json, torch_peer.json, machine.json."""
    started = time.time()

    import torch  # after argument parsing: --help stays fast

    threads = thread_counts()
    shapes = QUICK_SHAPES if args.quick else SUITE
    sweep = QUICK_SWEEP if args.quick else FULL_SWEEP
    machine_rows = machine(args.shiftnn, torch.__version__, threads)

    print(f"bench_shift: {len(shapes)} shapes, threads {threads}, sweep to {size_text(sweep)}",
          file=sys.stderr)
    bench_json = run_bench_json(args.bench, suite_filter(shapes, threads, STRATEGIES) + "|sweep/.*",
                                2 if args.quick else 5, 0.01 if args.quick else None,
                                {"SHIFTNN_BENCH_SWEEP": str(sweep)})

    peer_time = {"min_time": 0.05, "repeats": 3} if args.quick else {"min_time": 0.4, "repeats": 5}
    peer_json = {"suite": {}, "sweep": None}
    for t in threads:
        print(f"PyTorch peer: {t} thread(s)", file=sys.stderr)
        peer_json["suite"][str(t)] = run_peer_json(t, shapes, **peer_time)
    print("PyTorch peer: size sweep", file=sys.stderr)
    peer_json["sweep"] = run_peer_json(1, sweep=sweep, **peer_time)
    with open(os.path.join(args.out, "bench_shift.json"), "w") as f:
        json.dump(bench_json, f, indent=1)
    with open(os.path.join(args.out, "torch_peer.json"), "w") as f:
        json.dump(peer_json, f, indent=1)
    with open(os.path.join(args.out, "models.md"), "w") as f:
        f.write(run_reference_networks(args, threads))
    with open(os.path.join(args.out, "machine.json"), "w") as f:
        json.dump({"rows": machine_rows, "caches": caches(), "threads": threads,
                   "shapes": shapes, "quick": args.quick, "seconds": time.time() - started,
                   "load_end": os.getloadavg()}, f, indent=1)


def run_reference_networks(args, threads):
    """The reference networks end to end against PyTorch (python/scripts/bench_models.py),
    batch 1: its markdown table. Quick mode: ShiftResNet-20, 1 thread, no torch.jit."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    quick = ["--networks", "shift_resnet20", "--no-jit", "--min-time", "0.05", "--repeat", "3"]
    print("reference networks: shiftnn vs PyTorch", file=sys.stderr)
    out = subprocess.run(
        [sys.executable, os.path.join(root, "python", "scripts", "bench_models.py"),
         "--batches", "1", "--threads", "1" if args.quick else ",".join(map(str, threads)),
         "--cli", args.shiftnn] + (quick if args.quick else []),
        check=True, stdout=subprocess.PIPE, text=True,
        env=dict(os.environ, PYTHONPATH=os.path.join(root, "python"))).stdout
    return "\n".join(line for line in out.splitlines() if line.startswith("|")) + "\n"


def render(out):
    """report.md and the plots from the JSON files a run wrote into out."""
    with open(os.path.join(out, "bench_shift.json")) as f:
        bench = bench_medians(json.load(f))
    with open(os.path.join(out, "torch_peer.json")) as f:
        peer_json = json.load(f)
    with open(os.path.join(out, "machine.json")) as f:
        run = json.load(f)
    threads, shapes, quick = run["threads"], run["shapes"], run["quick"]
    peers = {t: {r["shape"]: r for r in peer_json["suite"][str(t)]["rows"]} for t in threads}
    for t in threads:
        plot_relative(bench, peers[t], shapes, t, os.path.join(out, f"relative_to_memcpy_t{t}.svg"))
    plot_bandwidth(bench, peer_json["sweep"]["rows"], run["caches"],
                   os.path.join(out, "bandwidth_vs_size.svg"))
    big = sorted(shapes, key=elements)[-3:]
    plot_scaling(bench, peers, big, threads, os.path.join(out, "thread_scaling.svg"))

    md = [f"# shiftnn benchmark report{' (quick)' if quick else ''}", "",
          "Written by `scripts/bench`. Times are medians of repetitions in microseconds: CPU "
          "time for 1 thread, wall time for more. Every row of one table comes from this one "
          "run; absolute times drift between runs on a shared machine.", "",
          "## Machine", "", table(["", ""], run["rows"]), "",
          "## Headline, 1 thread", "",
          "shiftnn `copy` (nchw, quad, replicate: the PyTorch peer's semantics) against memcpy "
          "of the same bytes and against PyTorch 1 thread.", "",
          headline(bench, peers[1], shapes), "",
          "## Plots", "",
          "![relative to memcpy](relative_to_memcpy_t1.svg)", "",
          "`relative_to_memcpy_t<T>.svg`: per shape, each shiftnn strategy (solid) and its "
          "PyTorch counterpart (hatched, same colour) as time over shiftnn's memcpy of the same "
          "bytes, log scale; the dashed line is memcpy. One file per thread count.", "",
          "![bandwidth](bandwidth_vs_size.svg)", "",
          "`bandwidth_vs_size.svg`: read + write GB/s against the size of one tensor "
          "(1xCx56x56, C from 1) for shiftnn copy (nchw, zero) with and without streaming "
          "(non-temporal) stores, memcpy, PyTorch slice and clone, 1 thread; dotted lines mark "
          "the cache sizes of one instance. For C < 4 the peer's quarters are empty (its slice "
          "is a clone).", "",
          "![thread scaling](thread_scaling.svg)", "",
          "`thread_scaling.svg`: speed-up over 1 thread for the three largest shapes, "
          f"threads {threads}. With few cores and other work on the machine, multi-thread "
          "rows are only meaningful when nothing else runs.", ""]
    for t in threads:
        md += [f"## copy against memcpy, {t} thread{'s' if t > 1 else ''}", "",
               "Cells: time in us (memcpy time / copy time; target >= 0.9x from 1x96x56x56 up, "
               "misses in bold).", "", memcpy_table(bench, shapes, t), "",
               "Paired: copy and memcpy timed one after the other in every iteration of one "
               "benchmark, so both see the same machine state. Cells: median over iterations "
               "of memcpy time / copy time (memcpy us / copy us, medians). The last column pairs "
               "memcpy with a shift along w only (`uniform:0,1`), which the nchw kernel runs as "
               "one vector loop with the border column masked: about the most a kernel storing "
               "through vector registers reaches on this host. Runs along h (half of quad) in "
               "planes of 128 floats or more are one memcpy with their border rows rewritten, "
               "and the identity shift is memcpy.", "",
               paired_table(bench, shapes, t), "",
               "The variant with streaming stores (`nt`, which the planner weighs from 4 MiB "
               "up), same cells:", "", memcpy_table(bench, shapes, t, "copy_nt"), ""]
    for t in threads:
        md += [f"## shiftnn against PyTorch, {t} thread{'s' if t > 1 else ''}", "",
               "nchw, quad, replicate; speed-up = PyTorch time / shiftnn time.", "",
               peer_table(bench, peers[t], shapes, STRATEGIES, t), ""]
    with open(os.path.join(out, "models.md")) as f:
        models = f.read()
    md += ["## Reference networks against PyTorch, batch 1", "",
           "`python/scripts/bench_models.py`: each network exported once, shiftnn's median "
           "wall time of a whole run (`shiftnn run --profile`) against PyTorch eager and "
           "`torch.jit` frozen on the same weights, same thread count; parity = max |shiftnn - "
           "torch| / max |torch|.", "", models]
    md += ["## Not measured here", "",
           "- The ~200 MiB 64x256x56x56 shape is not in the tables (PyTorch's deform_conv2d "
           "would take minutes there); the size sweep reaches 256 MiB for copy, memcpy and "
           "PyTorch's slice.",
           f"- Load average at the end: {' '.join(f'{x:.2f}' for x in run['load_end'])}; "
           f"the measurements took {run['seconds']:.0f} s.", ""]
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write("\n".join(md))
    print(f"wrote {out}/report.md", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
