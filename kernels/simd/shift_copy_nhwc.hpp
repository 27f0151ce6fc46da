#pragma once
// Strategy `copy` (SPEC §2) in nhwc: pixel by pixel in whole vectors where a pixel's
// layout allows (nhwc_pixel_rows.hpp), else channel run by channel run (nhwc_runs.hpp).
#include <algorithm>
#include <cstdint>

#include "kernels/kernel_table.hpp"
#include "kernels/simd/nhwc_pixel_rows.hpp"
#include "kernels/simd/nhwc_pixel_slots.hpp"
#include "kernels/simd/nhwc_runs.hpp"
#include "kernels/simd/vector_ops.hpp"

namespace shiftnn::kernels::simd {

// Whether the runs read more than one source row of an output row (quad; not uniform or
// axial along w).
inline bool runs_read_several_rows(const ShiftGeometry& g) {
  for (const ChannelRun& run : g.runs) {
    if (run.dh != g.runs.front().dh) return true;
  }
  return false;
}

// One thread, tensors above kRowPrefetchBytes and up to kPixelPrefetchMaxBytes, runs
// reading several source rows: the pixel loop also asks for each pixel's sources
// kPixelPrefetchBytes on (nhwc_pixel_rows.hpp), and runs row by row instead of
// kInterleavedRows at once.
inline bool copy_prefetches_pixels(const ShiftGeometry& g, int threads) {
  const int64_t bytes = g.elements() * static_cast<int64_t>(sizeof(float));
  return threads == 1 && bytes > kRowPrefetchBytes && bytes <= kPixelPrefetchMaxBytes &&
         runs_read_several_rows(g);
}

// Output row hh is the first to read source row hh + pad_h, and reads only some lines
// of each of its pixels, in an order the hardware prefetchers do not follow: a thread
// running alone on a large tensor fetches that row into L2 ahead of use. With more
// threads streaming, the shared bandwidth binds and the extra fills cost more than they
// hide (quad, x memcpy, Zen 4: 8x96x56x56 2 threads 0.74-0.83 with, 0.80-0.89 without).
// Streamed, where every run reads the same source row, that row is read whole and in
// order, which the prefetchers follow, and the extra requests only cost: 64x96x56x56,
// 1 thread, x memcpy, with / without: uniform:0,1 1.32 / 1.60, uniform:1,0 1.35 / 1.67,
// axial:3:w 1.31 / 1.51; runs on several rows: quad 1.12-1.21 / 0.96-0.98, axial:3:h
// 1.31 / 1.11. pixels_prefetched: the loop also asks for each pixel's sources (see
// CopyPrefetch). Null: no prefetch.
inline const float* first_use_rows(const ShiftArgs& args, const float* image, bool streaming,
                                   bool pixels_prefetched) {
  const ShiftGeometry& g = *args.g;
  const int64_t bytes = g.elements() * static_cast<int64_t>(sizeof(float));
  const bool rows = args.prefetch == CopyPrefetch::rows ||
                    (args.prefetch == CopyPrefetch::host &&
                     (!pixels_prefetched || host_prefetches_rows_with_pixels()));
  const bool ahead = rows && copy_prefetches_rows(bytes, args.threads) &&
                     (!streaming || runs_read_several_rows(g));
  return ahead ? image + g.pad_h * g.w * g.c : nullptr;
}

// Rows [begin, end) of n*h in pixel order (zero or keep boundary). Plain: the rows whose
// source rows all lie in the tensor as one flat loop across images (rows_by_vectors
// across_images), so the loop and its prefetch do not stop and start again at every
// image; the pad_h rows at the top of the first image and the bottom of the last one by
// one (2 * pad_h >= h: every row by image). x memcpy, quad, Zen 4, avx512f, paired in one
// process, image by image / across: 1 thread 32x64x32x32 0.99-1.03 / 0.99-1.06,
// 32x96x28x28 0.91-0.93 / 0.91-0.94, 8x96x56x56 0.86-0.95 / 0.90-0.95; 2 threads
// 32x64x32x32 0.85-0.89 / 0.87-0.91, 8x96x56x56 0.82-0.86 / 0.82-0.86; small images,
// separate processes: 64x64x8x8 1 / 2 threads 0.71 / 0.77-0.79 -> 0.90-0.92 / 0.975-0.99.
// Streamed (no rewrite of a line streamed out): the rows inside each image as one flat
// loop, the pad_h rows at the top and bottom of every image one by one.
template <class Arch, bool Streaming>
void shift_rows_pixel_order(const ShiftArgs& args, const PixelSlots<Arch>& slots, int64_t begin,
                            int64_t end) {
  const ShiftGeometry& g = *args.g;
  const int64_t H = g.h, row = g.w * g.c;
  const bool pixel_prefetch =
      !Streaming && args.prefetch != CopyPrefetch::none && copy_prefetches_pixels(g, args.threads);
  // Rows [r0, r1) from image r0 / H, across images where r1 goes past it.
  auto rows = [&](int64_t r0, int64_t r1, bool across_images) {
    const int64_t n = r0 / H;
    const float* image = args.src + n * H * row;
    rows_by_vectors<Arch, Streaming>(
        g, slots, image, args.dst + n * H * row, r0 - n * H, r1 - n * H,
        first_use_rows(args, image, Streaming, pixel_prefetch), pixel_prefetch, across_images);
  };
  auto by_image = [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1;) {
      const int64_t hh = r % H;
      const bool inside = hh >= g.pad_h && hh < H - g.pad_h;
      const int64_t hh_end = inside ? std::min(H - g.pad_h, hh + (r1 - r)) : hh + 1;
      rows(r, r + hh_end - hh, false);
      r += hh_end - hh;
    }
  };
  if (Streaming || 2 * g.pad_h >= H) {
    by_image(begin, end);
    return;
  }
  const int64_t flat0 = std::clamp<int64_t>(g.pad_h, begin, end);
  const int64_t flat1 = std::clamp<int64_t>(g.n * H - g.pad_h, flat0, end);
  by_image(begin, flat0);
  if (flat0 < flat1) rows(flat0, flat1, true);
  by_image(flat1, end);
}

// Streaming: non-temporal stores; in pixel order only where the output is aligned to
// the vector (else plain), run by run for the aligned vectors of each run.
template <class Arch, bool Streaming = false>
void shift_copy_nhwc(const ShiftArgs& args, int64_t begin, int64_t end, float*) {
  const ShiftGeometry& g = *args.g;
  if (g.nhwc_pixel_order && (g.boundary == Boundary::zero || g.boundary == Boundary::keep)) {
    const PixelSlots<Arch> slots(g);
    if (slots.ok && Streaming && floats_past_alignment<Arch>(args.dst) == 0) {
      shift_rows_pixel_order<Arch, true>(args, slots, begin, end);
      streaming_fence();
      return;
    }
    if (slots.ok) {
      shift_rows_pixel_order<Arch, false>(args, slots, begin, end);
      return;
    }
  }
  const int64_t H = g.h, W = g.w, C = g.c, row = W * C;
  const int64_t edge = std::min<int64_t>(g.pad_w, W);  // pixels whose column source may be outside
  // Interior blocks of ~8 KiB of output stay in L1 while every run adds its channels.
  // The row ahead is asked for block by block: all of a row at its start (a burst of up
  // to hundreds of requests) ran at 0.59-0.61x memcpy, spread 0.66-0.67x (16x384x28x28,
  // 32x768x14x14, 64x384x28x28, quad, 1 thread).
  const int64_t block = std::max<int64_t>(1, 2048 / C);
  for (int64_t r = begin; r < end; ++r) {
    const int64_t n = r / H, hh = r % H;
    const float* image = args.src + n * H * row;
    float* out = args.dst + r * row;
    if (W <= 2 * edge) {
      shift_pixels_by_runs<Arch, Streaming>(g, image, out, hh, 0, W);
      continue;
    }
    shift_pixels_by_runs<Arch, Streaming>(g, image, out, hh, 0, edge);
    const float* first_use = first_use_rows(args, image, Streaming, false);
    const float* ahead = first_use && hh + g.pad_h + 2 < H ? first_use + (hh + 2) * row : nullptr;
    for (int64_t b = edge; b < W - edge; b += block) {
      const int64_t b1 = std::min(W - edge, b + block);
      if (ahead) prefetch_lines(ahead + b * C, (b1 - b) * C);
      shift_block_by_runs<Arch, Streaming>(g, image, out, hh, b, b1);
    }
    shift_pixels_by_runs<Arch, Streaming>(g, image, out, hh, W - edge, W);
  }
  if (Streaming) streaming_fence();
}

template <class Arch>
void shift_copy_nt_nhwc(const ShiftArgs& args, int64_t begin, int64_t end, float* scratch) {
  shift_copy_nhwc<Arch, true>(args, begin, end, scratch);
}

}  // namespace shiftnn::kernels::simd
