/**
 * A user-facing error about a data set (an unknown name, a bad argument, an
 * unreadable or malformed file) or about feeding one to a model. Callers such
 * as the CLI recognise it by `name` (not instanceof: the runtime may be loaded
 * twice, from source and from dist) and print the message without a stack.
 */
export class DatasetError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatasetError';
  }
}

/**
 * The errors meant for the user as they are: DatasetError, TrainError,
 * WeightsError, BackendError; the run-time checks of inputs (InputValueError,
 * DimError, NonFiniteError); and IndexError, which a CPU kernel throws (by
 * name: kernels import nothing) when an index the model computed is out of
 * range (an embedding of `cast(x, dtype: i32)` where x leaves [0, vocab)).
 */
const USER_FACING = new Set(['DatasetError', 'TrainError', 'WeightsError', 'BackendError', 'InputValueError', 'DimError', 'NonFiniteError', 'IndexError']);

/** True for errors meant for the user as they are (USER_FACING). */
export function isUserFacingError(e: unknown): e is Error {
  return e instanceof Error && USER_FACING.has(e.name);
}
