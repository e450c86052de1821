/**
 * Autoregressive sampling from a causal language model: a model whose input
 * is token ids i32[B, T] and whose output is next-token logits f32[B, T, V].
 * Each new token is drawn from softmax(logits / temperature) at the last
 * position, optionally restricted to the top-k tokens, with a seeded
 * generator (same seed, same text). A model with a fixed T reads the last T
 * tokens (left-padded with `pad`); a symbolic T reads the whole context, up
 * to `maxContext`.
 */
import { mulberry32 } from './init.js';
import type { Model } from './types.js';

export interface GenerateOptions {
  /** token ids to start from (at least one) */
  prompt: readonly number[];
  /** how many tokens to add */
  steps: number;
  /** softmax temperature; 0 picks the most likely token (default 1) */
  temperature?: number;
  /** sample only among the k most likely tokens (default: all) */
  topK?: number;
  seed?: number;
  /** the id used to left-pad a short context for a fixed-length model (default 0); a prompt of at least T tokens avoids padding, which such a model never saw in training */
  pad?: number;
  /** longest context fed to a model with a symbolic sequence length (default 512) */
  maxContext?: number;
}

/** The prompt followed by `steps` sampled tokens. */
export async function generate(model: Model, options: GenerateOptions): Promise<number[]> {
  const input = model.signature.inputs.find((i) => i.dtype === 'i32' && i.shape.length === 2);
  const output = model.signature.outputs.find((o) => o.dtype === 'f32' && o.shape.length === 3);
  if (!input || !output || model.signature.inputs.length !== 1)
    throw new Error(`generate: model '${model.name}' is not a causal language model (it needs one input i32[B, T] of token ids and an output f32[B, T, V] of logits)`);
  if (options.prompt.length === 0) throw new Error('generate: the prompt must hold at least one token id');
  const temperature = options.temperature ?? 1;
  if (!(temperature >= 0)) throw new Error(`generate: temperature must be >= 0, got ${temperature}`);
  const vocab = output.shape[2];
  const fixedT = typeof input.shape[1] === 'number' ? input.shape[1] : undefined;
  const maxContext = fixedT ?? options.maxContext ?? 512;
  const bits = mulberry32(options.seed ?? 0);
  const random = () => bits() / 4294967296; // uniform in [0, 1)
  const tokens = [...options.prompt];
  for (let s = 0; s < options.steps; s++) {
    const context = tokens.slice(-maxContext);
    const T = fixedT ?? context.length;
    const row = new Int32Array(T).fill(options.pad ?? 0);
    row.set(context, T - context.length);
    const out = await model.predict({ [input.name]: { data: row, shape: [1, T] } });
    const logits = out[output.name];
    const V = typeof vocab === 'number' ? vocab : logits.shape[2];
    const last = logits.data.subarray((T - 1) * V, T * V) as Float32Array;
    tokens.push(sample(last, temperature, options.topK, random));
  }
  return tokens;
}

function sample(logits: Float32Array, temperature: number, topK: number | undefined, random: () => number): number {
  const order = Array.from(logits.keys()).sort((a, b) => logits[b] - logits[a]);
  if (temperature === 0) return order[0];
  const keep = order.slice(0, Math.max(1, Math.min(topK ?? order.length, order.length)));
  const top = logits[keep[0]];
  const weights = keep.map((i) => Math.exp((logits[i] - top) / temperature));
  const total = weights.reduce((a, b) => a + b, 0);
  let r = random() * total;
  for (let i = 0; i < keep.length; i++) {
    r -= weights[i];
    if (r <= 0) return keep[i];
  }
  return keep[keep.length - 1];
}
