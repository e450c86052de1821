/**
 * A backend that was asked for by name cannot run the model here: no
 * adapter, no GPU mode, or a kernel missing for one of its ops. The caller's
 * choice to change (another backend, or 'auto'), not a bug: the CLI reports
 * it as a user error.
 */
export class BackendError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackendError';
  }
}
