import { DOT_PRODUCTS_WASM } from './dot-products-wasm.js';

/** The bytes the kernel multiplies at once: a row is padded with zeros to a multiple of them. */
const LANES = 8;
const RESULT_BYTES = 4;
const PAGE_BYTES = 65_536;

/** A row's length once padded for the kernel. */
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
/** The kernel's memory: the vector, then the rows, then the products. */
let bytes = new Int8Array(0);
let products = new Int32Array(0);

/**
 * The dot products of `vector` with each of the first `count` rows of `rows`, rows of
 * `vector.length` signed bytes (a multiple of eight: `paddedLength`), exact, computed in
 * WebAssembly SIMD eight bytes at a time. The answer is the kernel's own memory: read it before
 * the next call.
 */
export function dotProducts(vector: Int8Array, rows: Int8Array, count: number): Int32Array {
  const stride = vector.length;
  if (stride % LANES !== 0) throw new Error(`dotProducts: a row of ${stride} bytes is not padded to a multiple of ${LANES}`);
  if (rows.length < count * stride) throw new Error(`dotProducts: ${count} rows of ${stride} bytes need ${count * stride}, not ${rows.length}`);
  const { memory, dotProducts: run } = loadKernel();
  const out = stride + count * stride;
  const needed = out + count * RESULT_BYTES;
  if (needed > memory.buffer.byteLength) memory.grow(Math.ceil((needed - memory.buffer.byteLength) / PAGE_BYTES));
  if (bytes.buffer !== memory.buffer) {
    bytes = new Int8Array(memory.buffer);
    products = new Int32Array(memory.buffer);
  }
  bytes.set(vector, 0);
  bytes.set(count * stride === rows.length ? rows : rows.subarray(0, count * stride), stride);
  run(0, stride, count, stride, out);
  return products.subarray(out / RESULT_BYTES, out / RESULT_BYTES + count);
}

function loadKernel(): DotProductsKernel {
  const { Module, Instance } = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;
  kernel ??= new Instance(new Module(Buffer.from(DOT_PRODUCTS_WASM, 'base64'))).exports as DotProductsKernel;
  return kernel;
}
