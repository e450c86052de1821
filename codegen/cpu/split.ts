/**
 * Split kernels: CPU kernels that can compute a range of their rows, so the
 * CPU backend can run one call on several threads (runtime/threads.ts).
 *
 * A split kernel is an ordinary kernel `function k(ins, outs, dims)` that
 * reads two more arguments, `r0 = arguments[3]`, `r1 = arguments[4]`:
 *   k(ins, outs, dims)          computes everything (the single-threaded call)
 *   k(ins, outs, dims, -1, q)   writes [extent, align, flops] into the array q and computes nothing
 *   k(ins, outs, dims, a, b)    computes rows [a, b) of its extent only
 *   k(ins, outs, dims, -2)      the fused phases before the split one (a group kernel; else nothing)
 *   k(ins, outs, dims, -3)      the fused phases after it (bias add, activation, ...)
 * so a threaded call is: k(-2); the ranges, on all threads; k(-3).
 * Chunk boundaries are multiples of `align`, except the end. Every output
 * element is computed by exactly one row and in the same order whatever the
 * range, so any split gives bit-identical results. The "rows" are the
 * output columns of a matmul (strips of 4, in every batch matrix: each
 * thread packs only its part of B), the images of conv2d and
 * conv2d_backprop_input, and the taps (columns of dw, strips of 4) of
 * conv2d_backprop_filter, whose sums over images and pixels then never
 * cross threads.
 */

/** The first statements of a split kernel body: the query, then the range `rLo`, `rHi`. */
export function splitPrologue(extent: string, align: number, flops: string): string {
  return `if (r0 === -1) { r1[0] = ${extent}; r1[1] = ${align}; r1[2] = ${flops}; return; }\nif ((r0 ?? 0) < -1) return;\nconst rLo = r0 ?? 0, rHi = r1 ?? ${extent};`;
}
