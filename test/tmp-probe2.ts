import { getParser } from '../grammar/parser.js';
import { parse } from '../grammar/index.js';
const name = 'repeat';
const text = `model M {\n  input x: f32[B, 2]\n  output y: f32[B, 2]\n  y = x |> dense(2)\n}\n\ntrain T on M {\n  ${name} : f32[B, 2]\n  unused = ${Array(20000).fill(name).join(' + ')}\n  loss = mean((y - ${name}) ** 2)\n}\n`;
parse(text, 'c.dnn');
console.log('parser errors', getParser().errors.length);
