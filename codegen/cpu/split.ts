/**
 * Split kernels: CPU kernels that can compute a range of their rows, so the
 * CPU backend can run one call on several threads (runtime/threads.ts).
 *
 * A split kernel is an ordinary kernel `function k(ins, outs, dims)` with one
 * more, optional parameter: the part of it to run (KernelPart, runtime/program.ts):
 *   k(ins, outs, dims)                                computes everything (the single-threaded call)
 *   k(ins, outs, dims, { part: 'query' })             computes nothing; returns { extent, align, flops }
 *   k(ins, outs, dims, { part: 'rows', lo, hi })      computes rows [lo, hi) of its extent only
 *   k(ins, outs, dims, { part: 'before' })            the fused phases before the split one (a group kernel; else nothing)
 *   k(ins, outs, dims, { part: 'after' })             the fused phases after it (bias add, activation, ...)
 * so a threaded call is: before; the rows, on all threads; after.
 * Chunk boundaries are multiples of `align`, except the end. Every output
 * element is computed by exactly one row and in the same order whatever the
 * range, so any split gives bit-identical results. The "rows" are the
 * output columns of a matmul (strips of 4, in every batch matrix: each
 * thread packs only its part of B), the images of conv2d and
 * conv2d_backprop_input, and the taps (columns of dw, strips of 4) of
 * conv2d_backprop_filter, whose sums over images and pixels then never
 * cross threads.
 */

/** The parameter a split kernel takes the part to run in. */
export const SPLIT_PART = 'run';

/** The first statements of a split kernel body: the query, then the range `rLo`, `rHi`. */
export function splitPrologue(extent: string, align: number, flops: string): string {
  const r = SPLIT_PART;
  return [
    `if (${r}?.part === 'query') return { extent: ${extent}, align: ${align}, flops: ${flops} };`,
    `if (${r} && ${r}.part !== 'rows') return;`,
    `const rLo = ${r} ? ${r}.lo : 0, rHi = ${r} ? ${r}.hi : ${extent};`,
  ].join('\n');
}

/** The condition a phase of a split group kernel runs under: before the split phase, the split phase (`at`), after it. */
export function splitPhaseCondition(where: 'before' | 'at' | 'after'): string {
  const r = SPLIT_PART;
  return where === 'at' ? `!${r} || ${r}.part === 'rows' || ${r}.part === 'query'` : `!${r} || ${r}.part === '${where}'`;
}
