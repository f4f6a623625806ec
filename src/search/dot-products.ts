import { DOT_PRODUCTS_WASM } from './dot-products-wasm.js';

/** The floats the kernel multiplies at once: a row is padded with zeros to a multiple of them. */
const LANES = 4;
const FLOAT_BYTES = 4;
const PAGE_BYTES = 65_536;

/** A row's length in floats once padded for the kernel. */
export function paddedLength(dimensions: number): number {
  return Math.ceil(dimensions / LANES) * LANES;
}

/** What the search uses of the WebAssembly JavaScript API, which Node's type definitions for Node 20 leave out. */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: object };
}

interface DotProductsKernel {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  dotProducts(this: void, vector: number, rows: number, count: number, stride: number, out: number): void;
}

let kernel: DotProductsKernel | undefined;
/** The kernel's memory as floats: the vector, then the rows, then the products. */
let floats = new Float32Array(0);

/**
 * The dot products of `vector` with each of the first `count` rows of `rows`, rows of
 * `vector.length` floats (a multiple of four: `paddedLength`), computed in WebAssembly SIMD, about
 * five times faster than in JavaScript. The answer is the kernel's own memory: read it before the
 * next call.
 */
export function dotProducts(vector: Float32Array, rows: Float32Array, count: number): Float32Array {
  const stride = vector.length;
  if (stride % LANES !== 0) throw new Error(`dotProducts: a row of ${stride} floats is not padded to a multiple of ${LANES}`);
  if (rows.length < count * stride) throw new Error(`dotProducts: ${count} rows of ${stride} floats need ${count * stride}, not ${rows.length}`);
  const { memory, dotProducts: run } = loadKernel();
  const out = stride + count * stride;
  const needed = (out + count) * FLOAT_BYTES;
  if (needed > memory.buffer.byteLength) memory.grow(Math.ceil((needed - memory.buffer.byteLength) / PAGE_BYTES));
  if (floats.buffer !== memory.buffer) floats = new Float32Array(memory.buffer);
  floats.set(vector, 0);
  floats.set(count * stride === rows.length ? rows : rows.subarray(0, count * stride), stride);
  run(0, stride * FLOAT_BYTES, count, stride * FLOAT_BYTES, out * FLOAT_BYTES);
  return floats.subarray(out, out + count);
}

function loadKernel(): DotProductsKernel {
  const { Module, Instance } = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;
  kernel ??= new Instance(new Module(Buffer.from(DOT_PRODUCTS_WASM, 'base64'))).exports as DotProductsKernel;
  return kernel;
}
