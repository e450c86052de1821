/**
 * A user-facing error about a data set (an unknown name, a bad argument, an
 * unreadable or malformed file) or about feeding one to a model. Callers such
 * as the CLI recognise it by `name` (not instanceof: the runtime may be loaded
 * twice, from source and from dist) and print the message without a stack.
 */
export class DatasetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetError';
  }
}

/** True for errors meant for the user as they are (DatasetError, TrainError, WeightsError, BackendError). */
export function isUserFacingError(e: unknown): e is Error {
  return e instanceof Error && (e.name === 'DatasetError' || e.name === 'TrainError' || e.name === 'WeightsError' || e.name === 'BackendError');
}
