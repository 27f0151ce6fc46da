"""Runs bench_shift and the PyTorch peer (bench/torch_peer.py) in one go and prints
markdown tables:
  (a) strategy copy against a memcpy of the same bytes, per shape, layout, boundary
      and thread count (target: >= 0.9x from 1x768x7x7 up to 32x64x32x32), from
      separate benchmarks and paired in one;
  (b) every shiftnn strategy against its PyTorch counterpart (nchw, quad, replicate:
      the peer's semantics).
Times are medians of repetitions: CPU time for one thread, wall time for more.
Run with /usr/bin/python3 (the one with torch). scripts/bench writes the full report."""
import argparse
import os
import sys

from benchlib import (DRAM, HERE, QUICK, STRATEGIES, SUITE, TARGET, memcpy_table, paired_table,
                      peer_table, run_bench, run_peer)


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
        print(f"\nPaired (copy and memcpy in turn in every iteration; median of memcpy time / "
              f"copy time), {t} thread{'s' if t > 1 else ''}:\n")
        print(paired_table(bench, bench_shapes, t))
        print(f"\nThe variant with streaming stores (nt), {t} thread{'s' if t > 1 else ''}:\n")
        print(memcpy_table(bench, bench_shapes, t, "copy_nt"))
    for t in threads:
        print(f"\n### (b) shiftnn vs PyTorch {t} thread{'s' if t > 1 else ''} "
              "(nchw, quad, replicate; speed-up = PyTorch time / shiftnn time)\n")
        print(peer_table(bench, peers[t], shapes, strategies, t))
    return 0


if __name__ == "__main__":
    sys.exit(main())
