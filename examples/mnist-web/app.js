// The demo's page script: loads the generated LeNet module and its trained
// weights, picks WebGPU when the browser has an adapter and gpu.js (WebGL)
// otherwise, and classifies what is drawn on the pad when a stroke ends
// (and no other follows within 200 ms).
// Query parameters: backend=webgpu|webgl|auto (default auto); module= and
// weights= (same-origin paths) to load other files than the ones next to
// this page.
import { toMnist } from './preprocess.js';

const params = new URLSearchParams(location.search);
/** a same-origin path from the query, or the default */
const local = (name, fallback) => {
  const v = params.get(name);
  return v && /^\.?\/[^/]/.test(v) && !v.includes('//') ? v : fallback;
};
const MODULE = local('module', './generated/mnist.js');
const WEIGHTS = local('weights', './mnist.safetensors');

const pad = document.getElementById('pad');
const pen = document.getElementById('pen');
const status = document.getElementById('status');
const bars = document.getElementById('bars');
const prediction = document.getElementById('prediction');
const ctx = pad.getContext('2d', { willReadFrequently: true });

function setStatus(text, state) {
  status.textContent = text;
  status.dataset.state = state;
}

function clearPad() {
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, pad.width, pad.height);
  prediction.textContent = '';
  delete prediction.dataset.label;
  for (const li of bars.children) {
    li.classList.remove('top');
    li.querySelector('.bar').style.width = '0%';
    li.querySelector('.p').textContent = '';
  }
}

for (let d = 0; d < 10; d++) {
  const li = document.createElement('li');
  li.innerHTML = `<span>${d}</span><span class="track"><span class="bar" style="width:0%"></span></span><span class="p"></span>`;
  bars.append(li);
}

/** WebGPU when an adapter exists (or asked for), else gpu.js on WebGL: the choice is shown, never silent. */
async function createModel(mod, weights) {
  const want = params.get('backend') ?? 'auto';
  const hasWebGpu = want !== 'webgl' && 'gpu' in navigator && (await navigator.gpu.requestAdapter().catch(() => null)) !== null;
  if (want === 'webgpu' || (want === 'auto' && hasWebGpu)) return { model: await mod.create({ backend: 'webgpu', weights }), label: 'WebGPU' };
  const mode = globalThis.GPU?.isWebGL2Supported ? 'webgl2' : 'webgl';
  const why = want === 'auto' ? ' (this browser has no WebGPU adapter)' : '';
  return { model: await mod.create({ backend: 'gpujs', gpujs: { mode }, weights }), label: `${mode === 'webgl2' ? 'WebGL2' : 'WebGL'} through gpu.js${why}` };
}

let model;
let busy = Promise.resolve();
let pending;
/** classify once the hand rests: 200 ms after the last stroke ends */
function classifySoon() {
  clearTimeout(pending);
  pending = setTimeout(() => {
    busy = busy.then(classify).catch((e) => setStatus(`prediction failed: ${e.message}`, 'error'));
  }, 200);
}

async function classify() {
  const { data } = ctx.getImageData(0, 0, pad.width, pad.height);
  const grey = new Float32Array(pad.width * pad.height);
  for (let i = 0; i < grey.length; i++) grey[i] = data[4 * i] / 255;
  const image = toMnist(grey, pad.width, pad.height);
  if (!image) return;
  const { logits } = await model.predict({ image: { data: image, shape: [1, 1, 28, 28] } });
  const max = Math.max(...logits.data);
  const exp = Array.from(logits.data, (v) => Math.exp(v - max));
  const sum = exp.reduce((a, b) => a + b, 0);
  const best = exp.indexOf(Math.max(...exp));
  [...bars.children].forEach((li, d) => {
    const p = exp[d] / sum;
    li.classList.toggle('top', d === best);
    li.querySelector('.bar').style.width = `${(100 * p).toFixed(1)}%`;
    li.querySelector('.p').textContent = `${(100 * p).toFixed(1)}%`;
  });
  prediction.textContent = `→ ${best}`;
  prediction.dataset.label = String(best);
  prediction.dataset.count = String(Number(prediction.dataset.count) + 1);
}

// drawing: round strokes of the chosen pen, white on black like the MNIST digits
let last = null;
pad.addEventListener('pointerdown', (e) => {
  clearTimeout(pending);
  pad.setPointerCapture(e.pointerId);
  last = [e.offsetX, e.offsetY];
  ctx.fillStyle = '#fff';
  ctx.beginPath();
  ctx.arc(last[0], last[1], Number(pen.value) / 2, 0, 2 * Math.PI);
  ctx.fill();
});
pad.addEventListener('pointermove', (e) => {
  if (!last) return;
  ctx.strokeStyle = '#fff';
  ctx.lineWidth = Number(pen.value);
  ctx.lineCap = 'round';
  ctx.beginPath();
  ctx.moveTo(last[0], last[1]);
  ctx.lineTo(e.offsetX, e.offsetY);
  ctx.stroke();
  last = [e.offsetX, e.offsetY];
});
pad.addEventListener('pointerup', () => {
  last = null;
  if (model) classifySoon();
});
document.getElementById('clear').addEventListener('click', clearPad);

async function main() {
  clearPad();
  const [mod, response] = await Promise.all([import(MODULE), fetch(WEIGHTS)]);
  if (!response.ok) throw new Error(`cannot fetch the weights ${WEIGHTS} (${response.status}): train them with npx dnnc train examples/mnist/mnist.dnn --save-weights examples/mnist-web/mnist.safetensors`);
  const weights = new Uint8Array(await response.arrayBuffer());
  const { model: m, label } = await createModel(mod, weights);
  model = m;
  document.getElementById('backend').textContent = label;
  status.dataset.backend = m.backend;
  setStatus(`ready on ${label}: draw a digit`, 'ready');
}

main().catch((e) => setStatus(String(e && e.message || e), 'error'));
