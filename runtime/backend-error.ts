/**
 * A backend that was asked for and cannot run here (no GPU adapter, no
 * kernel for an op of the model): a user-facing error, recognised by `name`
 * (the runtime may be loaded twice, from source and from dist), which the
 * CLI prints with what to do instead.
 */
export class BackendError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackendError';
  }
}
