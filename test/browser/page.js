// The browser test's page script (plain JS, served as an ES module): reads
// /test/.out/browser/cases.json (written by browser.test.ts), runs the
// generated module and the op programs, and leaves the results in
// window.__result (window.__done = true when finished).
import { instantiate } from '/dist/runtime/index.js';

const OUT = '/test/.out/browser';

const typed = (dtype, data) => (dtype === 'f32' ? Float32Array.from(data) : dtype === 'i32' ? Int32Array.from(data) : Uint8Array.from(data));
const plain = (t) => Array.from(t, (v) => (Number.isFinite(v) ? v : String(v)));

function feedOf(specs, given) {
  const feed = {};
  for (const s of specs) if (given[s.name]) feed[s.name] = { data: typed(s.dtype, given[s.name].data), shape: given[s.name].shape };
  return feed;
}

/** predict, one training step, predict again, weights: what the test compares with the cpu backend's */
async function modelRun(mod, options, c) {
  const t0 = performance.now();
  const m = await mod.create({ seed: c.seed, ...options });
  try {
    const sig = m.signature;
    const p1 = await m.predict(feedOf(sig.inputs, c.inputs));
    const step = await m.trainStep(feedOf([...sig.inputs, ...sig.trainInputs], c.batch));
    const p2 = await m.predict(feedOf(sig.inputs, c.inputs));
    const w = await m.readWeights();
    const weights = {};
    for (const k of Object.keys(w)) weights[k] = plain(w[k]);
    const out = { backend: m.backend, predict: {}, after: {}, loss: step.loss, metrics: step.metrics, weights, ms: Math.round(performance.now() - t0) };
    for (const k of Object.keys(p1)) out.predict[k] = plain(p1[k].data);
    for (const k of Object.keys(p2)) out.after[k] = plain(p2[k].data);
    return out;
  } finally {
    m.dispose();
  }
}

async function opRun(c) {
  const program = c.program;
  for (const e of Object.values(program.entries)) if (e) e.kernels = {};
  const m = await instantiate(program, { backend: 'gpujs', gpujs: { mode: 'webgl2' } });
  try {
    const r = await m.predict(feedOf(program.signature.inputs, c.feed));
    const out = {};
    for (const k of Object.keys(r)) out[k] = plain(r[k].data);
    return { outputs: out };
  } finally {
    m.dispose();
  }
}

async function main() {
  const result = { userAgent: navigator.userAgent, webgpu: Boolean(navigator.gpu), webgl2Supported: Boolean(globalThis.GPU?.isWebGL2Supported) };
  const cases = await (await fetch(`${OUT}/cases.json`)).json();
  const mod = await import(`${OUT}/${cases.module}`);
  for (const [key, options] of [['webgpu', { backend: 'webgpu' }], ['webgl2', { backend: 'gpujs', gpujs: { mode: 'webgl2' } }]]) {
    try {
      result[key] = await modelRun(mod, options, cases.model);
    } catch (e) {
      result[key] = { error: String(e && e.stack || e) };
    }
  }
  const t0 = performance.now();
  result.ops = [];
  for (const c of cases.ops) {
    try {
      result.ops.push(await opRun(c));
    } catch (e) {
      result.ops.push({ error: String(e && e.message || e).slice(0, 2000) });
    }
  }
  result.opsMs = Math.round(performance.now() - t0);
  return result;
}

main()
  .then((r) => (window.__result = r))
  .catch((e) => (window.__result = { error: String(e && e.stack || e) }))
  .finally(() => (window.__done = true));
