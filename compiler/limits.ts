/**
 * The compiler's limits: every amount of work or memory that a .dnn file (or
 * a flag) can ask for is bounded here, and going past a bound is a located
 * diagnostic, not a stack overflow, a hang or an allocation failure. The
 * figures are far above any real model; docs/robustness.md lists them.
 */

/**
 * How deeply expressions may nest: brackets `( [ {`, operands of unary
 * minus and `**`, arguments inside calls, and block calls inside blocks all
 * count one level each. Chains do not nest: `a + b + c + ...` and
 * `x |> f |> g |> ...` of any length are fine.
 */
export const MAX_NESTING = 100;

/** The most iterations of one `repeat`, and the longest axis `scan`, `lstm` and friends unroll. */
export const MAX_UNROLL = 10_000;

/**
 * The most operations one file may compile to, over all its graphs (each
 * model's predict, each train step and its evaluation), checked while
 * lowering and again after differentiation. The largest example (an LSTM
 * unrolled over 50 steps) has 5,000. Compile and code generation time grow
 * with it: at the limit, seconds; far beyond it, minutes.
 */
export const MAX_OPERATIONS = 20_000;

/** The most elements of one tensor with static dims (2^31: an index fits an i32). */
export const MAX_TENSOR_ELEMENTS = 2 ** 31;

/** The largest static dimension. */
export const MAX_DIM = 2 ** 31 - 1;

/**
 * The longest symbolic dim, as printed (`2*B*T-1` is 7 characters). Each
 * step of dim arithmetic costs time in the length of its operands, so a
 * product of 10,000 symbols would take quadratic time; real dims are a few
 * symbols long.
 */
export const MAX_DIM_EXPRESSION_LENGTH = 256;

/**
 * The most values of a constant table the compiler computes itself (the
 * sinusoidal table of `positional`, max x D). The table is written into
 * the generated code, a copy for each backend: at 2^18 values (512
 * positions of 512 features) the module is 17 MB and takes seconds to
 * generate and load. A larger table is a learned one (kind: learned).
 */
export const MAX_CONSTANT_ELEMENTS = 2 ** 18;

/** The most parameter elements of one model, all tensors together (2^30 f32 values: 4 GiB). */
export const MAX_PARAM_ELEMENTS = 2 ** 30;

/** The largest .dnn file the compiler reads (bytes). */
export const MAX_SOURCE_BYTES = 16 * 2 ** 20;

/** The most errors reported for one file; what follows is summarised in one last diagnostic. */
export const MAX_ERRORS = 100;

/**
 * The most syntax errors the parser's recovery records before it stops (they
 * are reported one per line, so a few lines of them at most): a long run of
 * junk (20,000 `repeat +` in one expression, each `repeat` a new statement
 * that fails) would otherwise be resynchronised token by token, seconds of work.
 */
export const MAX_SYNTAX_ERRORS = 1000;

/** How much of a data file `check` and `compile` read: its first line (the CSV header), at most this many bytes. */
export const MAX_HEADER_BYTES = 64 * 2 ** 10;

/** The largest data file (CSV) the runtime reads (bytes). */
export const MAX_DATA_FILE_BYTES = 2 ** 30;

/** The largest batch the CLI accepts (`--batch`). */
export const MAX_BATCH = 2 ** 20;

/** "did you mean": names longer than this get no suggestion, and at most this many candidates are compared. */
export const MAX_SUGGEST_LENGTH = 64;
export const MAX_SUGGEST_CANDIDATES = 10_000;

/** The element count of a static shape (symbolic dims count as 1), or Infinity when it overflows. */
export function staticElements(shape: readonly (number | string)[]): number {
  let n = 1;
  for (const d of shape) if (typeof d === 'number') n *= d;
  return Number.isFinite(n) ? n : Infinity;
}

/** `2^31` rather than 2147483648 in messages. */
export function formatLimit(n: number): string {
  const log = Math.log2(n);
  if (Number.isInteger(log) && log >= 10) return `2^${log}`;
  return n.toLocaleString('en-US');
}
