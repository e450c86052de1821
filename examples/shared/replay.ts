/**
 * A fixed-size replay buffer of transitions (obs, action, reward, next obs,
 * done) for off-policy RL such as DQN. When full, the oldest transition is
 * overwritten. `sample` draws a batch uniformly, with replacement, into
 * flat typed arrays ready to feed a model.
 */
export interface ReplayBatch {
  obs: Float32Array;
  action: Int32Array;
  reward: Float32Array;
  next: Float32Array;
  /** 1 where the episode ended there (no bootstrapping from `next`), else 0 */
  done: Float32Array;
}

export class ReplayBuffer {
  private readonly obs: Float32Array;
  private readonly next: Float32Array;
  private readonly action: Int32Array;
  private readonly reward: Float32Array;
  private readonly done: Float32Array;
  private cursor = 0;
  size = 0;

  constructor(
    readonly capacity: number,
    readonly obsSize: number,
  ) {
    this.obs = new Float32Array(capacity * obsSize);
    this.next = new Float32Array(capacity * obsSize);
    this.action = new Int32Array(capacity);
    this.reward = new Float32Array(capacity);
    this.done = new Float32Array(capacity);
  }

  add(obs: Float32Array, action: number, reward: number, next: Float32Array, done: boolean): void {
    const i = this.cursor;
    this.obs.set(obs, i * this.obsSize);
    this.next.set(next, i * this.obsSize);
    this.action[i] = action;
    this.reward[i] = reward;
    this.done[i] = done ? 1 : 0;
    this.cursor = (i + 1) % this.capacity;
    this.size = Math.min(this.size + 1, this.capacity);
  }

  sample(n: number, rng: { int(n: number): number }): ReplayBatch {
    const d = this.obsSize;
    const b: ReplayBatch = { obs: new Float32Array(n * d), action: new Int32Array(n), reward: new Float32Array(n), next: new Float32Array(n * d), done: new Float32Array(n) };
    for (let k = 0; k < n; k++) {
      const i = rng.int(this.size);
      b.obs.set(this.obs.subarray(i * d, (i + 1) * d), k * d);
      b.next.set(this.next.subarray(i * d, (i + 1) * d), k * d);
      b.action[k] = this.action[i];
      b.reward[k] = this.reward[i];
      b.done[k] = this.done[i];
    }
    return b;
  }
}
