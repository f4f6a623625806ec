import wabt from 'wabt';

/** The WebAssembly binary of a module in the text format, SIMD allowed. */
export async function assembleWat(source: string): Promise<Uint8Array> {
  const toolkit = await wabt();
  const module = toolkit.parseWat('module.wat', source, { simd: true });
  try {
    module.validate();
    return module.toBinary({}).buffer;
  } finally {
    module.destroy();
  }
}
