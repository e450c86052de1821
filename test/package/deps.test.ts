/**
 * The source tree's dependencies: no import cycle, and imports that point
 * one way (grammar → compiler → codegen → runtime), checked by
 * scripts/check-deps.ts. A cycle or an upward import that is not in its
 * shrinking KNOWN list fails here.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkDeps, importsOf } from '../../scripts/check-deps.js';

test('the source tree has no new import cycle and no new upward import', () => {
  const { messages } = checkDeps();
  assert.equal(messages, [], messages.join('\n'));
});

/** a throwaway tree of .ts files: path → source */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'deps-'));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), text);
  }
  return root;
}

const none = { cycles: [], layers: [] };

test('a cycle is found, through value and type imports, but not through import()', () => {
  const root = tree({
    'compiler/a.ts': `import { b } from './b.js';\nexport const a = 1 + b;`,
    'compiler/b.ts': `import type { C } from './sub/c.js';\nexport const b: C = 2;`,
    'compiler/sub/c.ts': `export { a } from '../a.js';\nexport type C = number;`,
    'compiler/d.ts': `export const d = () => import('./e.js');`,
    'compiler/e.ts': `import { d } from './d.js';\nexport const e = d;`,
  });
  try {
    const r = checkDeps(root, none);
    assert.equal(r.cycles, [['compiler/a.ts', 'compiler/b.ts', 'compiler/sub/c.ts']]);
    assert.is(r.messages.length, 1);
    assert.match(r.messages[0], 'import cycle among 3 file(s): compiler/a.ts → compiler/b.ts → compiler/sub/c.ts → compiler/a.ts');
    // listed as known, it passes; once gone, the stale entry fails
    assert.equal(checkDeps(root, { cycles: [['compiler/sub/c.ts', 'compiler/b.ts', 'compiler/a.ts']], layers: [] }).messages, []);
    writeFileSync(join(root, 'compiler/sub/c.ts'), 'export type C = number;');
    assert.match(checkDeps(root, { cycles: [['compiler/a.ts', 'compiler/b.ts', 'compiler/sub/c.ts']], layers: [] }).messages.join('\n'), 'KNOWN lists a cycle that is gone');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('upward imports are found: compiler → codegen/runtime, codegen → runtime values, grammar → anything above', () => {
  const root = tree({
    'grammar/g.ts': `import { c } from '../compiler/c.js';\nexport const g = c;`,
    'compiler/c.ts': `import type { R } from '../runtime/r.js';\nimport { k } from '../codegen/k.js';\nexport const c: R = k;`,
    'codegen/k.ts': `import type { R } from '../runtime/r.js';\nimport { r } from '../runtime/r.js';\nexport const k: R = r;`,
    'runtime/r.ts': `export type R = number;\nexport const r = 1;`,
  });
  try {
    const r = checkDeps(root, none);
    assert.equal(r.cycles, []);
    assert.equal(
      r.layers.map((m) => m.slice(0, m.indexOf(':'))).sort(),
      ['codegen/k.ts imports runtime/r.ts', 'compiler/c.ts imports codegen/k.ts', 'grammar/g.ts imports compiler/c.ts'],
      'type-only imports of the runtime are allowed from compiler and codegen',
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('import kinds are read with the TypeScript parser', () => {
  const kinds = importsOf(
    'x.ts',
    [
      `import { type A, type B } from './types-only.js';`,
      `import { type A2, v } from './mixed.js';`,
      `import type * as T from './ns-type.js';`,
      `export type { X } from './re-type.js';`,
      `export * from './re-all.js';`,
      `const m = await import('./lazy.js');`,
      `let t: import('./inline-type.js').T;`,
      `// import { no } from './comment.js';`,
      "const s = `import { no } from './string.js'`;",
    ].join('\n'),
  );
  assert.equal(kinds, [
    { spec: './types-only.js', kind: 'type' },
    { spec: './mixed.js', kind: 'value' },
    { spec: './ns-type.js', kind: 'type' },
    { spec: './re-type.js', kind: 'type' },
    { spec: './re-all.js', kind: 'value' },
    { spec: './lazy.js', kind: 'dynamic' },
    { spec: './inline-type.js', kind: 'type' },
  ]);
});

test.run();
