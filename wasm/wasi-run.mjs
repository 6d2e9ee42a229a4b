// Cargo's runner for `--target wasm32-wasip1` test binaries: runs one under Node's WASI
// (preview1), with the arguments cargo passes and the working directory visible, and
// exits with its status. Used to run the solver crates' tests, the SIMD128 kernel's
// included, inside a real WebAssembly engine (V8).
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';
import { argv, env, exit } from 'node:process';

const [file, ...args] = argv.slice(2);
const wasi = new WASI({
  version: 'preview1',
  args: [file, ...args],
  env,
  preopens: { '.': '.' },
  returnOnExit: true,
});
const module = await WebAssembly.compile(await readFile(file));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
exit(wasi.start(instance));
