/**
 * What a backend provides to the model runtime: it prepares the entries of a
 * program (predict, trainStep, evaluate) over the model's persistent tensors
 * (params and state, held by the model as host typed arrays), and runs them.
 */
import type { Dims, ProgramEntry } from './program.js';
import type { BackendName, TypedArray } from './types.js';

export interface PreparedEntry {
  /**
   * Run the entry on inputs already checked and converted (name -> data of
   * the input's dtype), with the symbolic dims bound; hyper inputs are given
   * as numbers. Updates are written back to the persistent tensors.
   */
  run(dims: Dims, inputs: Map<string, TypedArray>, hyper?: Record<string, number>): void | Promise<void>;
  /** an output of the last run: a view valid until the next run (copy it to keep it) */
  output(name: string): TypedArray | Promise<TypedArray>;
  /** GPU backends: the kernel launches the last run recorded (diagnostics and tests) */
  dispatchCount?(): number | undefined;
  dispose(): void;
}

export interface Backend {
  readonly name: BackendName;
  /**
   * true when the persistent tensors live on a device (webgpu): the host
   * arrays in `stores` are then refreshed only by `download`, and changed
   * host arrays are sent with `upload`
   */
  readonly resident?: boolean;
  upload?(path: string): void;
  download?(paths: string[]): Promise<void>;
  /** `stores`: path -> persistent tensor (params and state), updated in place */
  prepare(entry: ProgramEntry, stores: Map<string, TypedArray>): PreparedEntry;
  dispose(): void;
}
