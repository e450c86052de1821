import { parse } from '../grammar/index.js';
const name = 'repeat';
const text = `model M {\n  input x: f32[B, 2]\n  output y: f32[B, 2]\n  y = x |> dense(2)\n}\n\ntrain T on M {\n  ${name} : f32[B, 2]\n  unused = ${Array(20000).fill(name).join(' + ')}\n  loss = mean((y - ${name}) ** 2)\n}\n`;
const saved = Error.stackTraceLimit; Error.stackTraceLimit = 0;
const t = performance.now();
const p = parse(text, 'c.dnn');
console.log((performance.now() - t).toFixed(0), 'ms', p.diagnostics.length);
