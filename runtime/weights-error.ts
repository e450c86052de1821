/**
 * A user-facing error about weights or a checkpoint: an unreadable or
 * corrupted safetensors file, or one that does not fit the model. Callers
 * such as the CLI recognise it by `name` (the runtime may be loaded twice,
 * from source and from dist) and print the message without a stack.
 */
export class WeightsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WeightsError';
  }
}
