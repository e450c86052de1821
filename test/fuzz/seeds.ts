/**
 * The inputs the fuzzer mutates: every example and bench model, every
 * ```dnn block of the docs (fragments wrapped in a model), every golden
 * .dnn file, and the minimized findings of earlier campaigns.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Seed {
  /** where it comes from, relative to the repository root (docs blocks: file:line) */
  name: string;
  text: string;
}

export const root = fileURLToPath(new URL('../..', import.meta.url));

function filesUnder(dir: string, ext: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path, ext));
    else if (entry.endsWith(ext)) out.push(path);
  }
  return out;
}

function docBlocks(path: string): Seed[] {
  const doc = readFileSync(path, 'utf8');
  return [...doc.matchAll(/^```(dnn|dnn-fragment)\n([\s\S]*?)^```/gm)].map((m) => ({
    name: `${relative(root, path)}:${doc.slice(0, m.index).split('\n').length}`,
    text: m[1] === 'dnn' ? m[2] : `model Fragment {\n${m[2]}}\n`,
  }));
}

export function loadSeeds(): Seed[] {
  const files = [
    ...filesUnder(join(root, 'examples'), '.dnn'),
    ...filesUnder(join(root, 'bench', 'models'), '.dnn'),
    ...filesUnder(join(root, 'test', 'golden'), '.dnn'),
    ...filesUnder(join(root, 'test', 'fuzz', 'corpus'), '.dnn'),
  ];
  const seeds = files.map((f) => ({ name: relative(root, f), text: readFileSync(f, 'utf8') }));
  for (const doc of filesUnder(join(root, 'docs'), '.md')) seeds.push(...docBlocks(doc));
  return seeds;
}
