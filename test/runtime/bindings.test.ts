/**
 * BindingCache (runtime/bindings.ts), which every backend keeps its
 * per-batch-size buffers in: a hit is the same binding, a fifth set of dims
 * releases the oldest, forget drops only the binding it names, clear
 * releases all.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BindingCache, dimsKey, MAX_BINDINGS } from '../../runtime/bindings.js';

test('the key sorts the dims by name', () => {
  assert.is(dimsKey({ T: 16, B: 32 }), 'B=32,T=16');
  assert.is(dimsKey({}), '');
});

test('a hit returns the same binding; the maker gets its own copy of the dims', () => {
  const released: string[] = [];
  const cache = new BindingCache<{ key: string }>((b) => released.push(b.key));
  const dims = { B: 2 };
  let made = 0;
  const make = (d: Record<string, number>) => {
    made++;
    assert.is.not(d, dims);
    return { key: dimsKey(d) };
  };
  const a = cache.get(dims, make);
  dims.B = 3; // the caller's object changing later does not change the binding's dims
  assert.is(cache.get({ B: 2 }, make), a);
  assert.is(made, 1);
  assert.equal(released, []);
});

test(`past ${MAX_BINDINGS} sets of dims the oldest is released, once`, () => {
  const released: string[] = [];
  const cache = new BindingCache<{ key: string }>((b) => released.push(b.key));
  for (let b = 1; b <= MAX_BINDINGS + 2; b++) cache.get({ B: b }, (d) => ({ key: dimsKey(d) }));
  assert.equal(released, ['B=1', 'B=2']);
  cache.clear();
  assert.equal(released, ['B=1', 'B=2', 'B=3', 'B=4', 'B=5', 'B=6']);
});

test('forget drops only the binding it names, without releasing it', () => {
  const released: string[] = [];
  const cache = new BindingCache<{ key: string }>((b) => released.push(b.key));
  const first = cache.get({ B: 1 }, () => ({ key: 'first' }));
  cache.forget({ B: 1 }, { key: 'other' });
  assert.is(cache.get({ B: 1 }, () => ({ key: 'second' })), first);
  cache.forget({ B: 1 }, first);
  assert.is(cache.get({ B: 1 }, () => ({ key: 'second' })).key, 'second');
  assert.equal(released, []);
});

test.run();
