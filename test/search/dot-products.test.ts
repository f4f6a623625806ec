import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assembleWat } from '../../scripts/assemble-wat.js';
import { DOT_PRODUCTS_WASM } from '../../src/search/dot-products-wasm.js';
import { dotProducts, paddedLength } from '../../src/search/dot-products.js';

/** Rows of `dimensions` random numbers, each padded with zeros to the kernel's length. */
function randomRows(count: number, dimensions: number, seed: number): Float32Array {
  const stride = paddedLength(dimensions);
  const rows = new Float32Array(count * stride);
  let state = seed;
  for (let row = 0; row < count; row += 1) {
    for (let d = 0; d < dimensions; d += 1) {
      state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
      rows[row * stride + d] = state / 2 ** 30 - 1;
    }
  }
  return rows;
}

function expectedProducts(vector: Float32Array, rows: Float32Array, count: number): number[] {
  const stride = vector.length;
  return Array.from({ length: count }, (_, row) => vector.reduce((sum, value, d) => sum + value * rows[row * stride + d]!, 0));
}

describe('dot products in WebAssembly', () => {
  it('pads a row to a whole number of four-float lanes', () => {
    expect([1, 4, 5, 99, 100].map(paddedLength)).toEqual([4, 4, 8, 100, 100]);
  });

  it.each([
    [0, 99],
    [1, 99],
    [172, 99],
    [3, 4],
  ])('gives the dot product of the vector with each of %i rows of %i numbers', (count, dimensions) => {
    const vector = randomRows(1, dimensions, 7);
    const rows = randomRows(count, dimensions, 11);
    const products = [...dotProducts(vector, rows, count)];
    expect(products).toHaveLength(count);
    expectedProducts(vector, rows, count).forEach((expected, row) => expect(products[row]).toBeCloseTo(expected, 4));
  });

  it('grows its memory for more rows than it has held, and reads only the rows asked for', () => {
    const vector = randomRows(1, 99, 3);
    const rows = randomRows(5_000, 99, 5);
    const all = [...dotProducts(vector, rows, 5_000)];
    expect(all[4_999]).toBeCloseTo(expectedProducts(vector, rows, 5_000)[4_999]!, 4);
    expect([...dotProducts(vector, rows, 2)]).toEqual(all.slice(0, 2));
  });

  it('refuses a vector not padded to whole lanes, or too few rows', () => {
    expect(() => dotProducts(new Float32Array(99), new Float32Array(99), 1)).toThrow(/not padded/);
    expect(() => dotProducts(new Float32Array(100), new Float32Array(100), 2)).toThrow(/2 rows of 100 floats need 200/);
  });

  it('runs the module assembled from its source, dot-products.wat', async () => {
    const source = readFileSync(new URL('../../src/search/dot-products.wat', import.meta.url), 'utf8');
    expect(Buffer.from(await assembleWat(source)).toString('base64')).toBe(DOT_PRODUCTS_WASM);
  });
});
