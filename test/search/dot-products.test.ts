import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assembleWat } from '../../scripts/assemble-wat.js';
import { DOT_PRODUCTS_WASM } from '../../src/search/dot-products-wasm.js';
import { dotProducts, paddedLength } from '../../src/search/dot-products.js';

/** Rows of `dimensions` random signed bytes, each padded with zeros to the kernel's length. */
function randomRows(count: number, dimensions: number, seed: number): Int8Array {
  const stride = paddedLength(dimensions);
  const rows = new Int8Array(count * stride);
  let state = seed;
  for (let row = 0; row < count; row += 1) {
    for (let d = 0; d < dimensions; d += 1) {
      state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
      rows[row * stride + d] = (state % 255) - 127;
    }
  }
  return rows;
}

function expectedProducts(vector: Int8Array, rows: Int8Array, count: number): number[] {
  const stride = vector.length;
  return Array.from({ length: count }, (_, row) => vector.reduce((sum, value, d) => sum + value * rows[row * stride + d]!, 0));
}

describe('dot products in WebAssembly', () => {
  it('pads a row to a whole number of eight-byte lanes', () => {
    expect([1, 8, 9, 99, 104].map(paddedLength)).toEqual([8, 8, 16, 104, 104]);
  });

  it.each([
    [0, 99],
    [1, 99],
    [172, 99],
    [3, 8],
  ])('gives the exact dot product of the vector with each of %i rows of %i signed bytes', (count, dimensions) => {
    const vector = randomRows(1, dimensions, 7);
    const rows = randomRows(count, dimensions, 11);
    expect([...dotProducts(vector, rows, count)]).toEqual(expectedProducts(vector, rows, count));
  });

  it('reaches the largest products, -127 times 127 in every place', () => {
    const vector = new Int8Array(104).fill(127, 0, 99);
    const rows = new Int8Array(104).fill(-127, 0, 99);
    expect([...dotProducts(vector, rows, 1)]).toEqual([-127 * 127 * 99]);
  });

  it('grows its memory for more rows than it has held, and reads only the rows asked for', () => {
    const vector = randomRows(1, 99, 3);
    const rows = randomRows(5_000, 99, 5);
    const all = [...dotProducts(vector, rows, 5_000)];
    expect(all).toEqual(expectedProducts(vector, rows, 5_000));
    expect([...dotProducts(vector, rows, 2)]).toEqual(all.slice(0, 2));
  });

  it('refuses a vector not padded to whole lanes, or too few rows', () => {
    expect(() => dotProducts(new Int8Array(99), new Int8Array(99), 1)).toThrow(/not padded/);
    expect(() => dotProducts(new Int8Array(104), new Int8Array(104), 2)).toThrow(/2 rows of 104 bytes need 208/);
  });

  it('runs the module assembled from its source, dot-products.wat', async () => {
    const source = readFileSync(new URL('../../src/search/dot-products.wat', import.meta.url), 'utf8');
    expect(Buffer.from(await assembleWat(source)).toString('base64')).toBe(DOT_PRODUCTS_WASM);
  });
});
