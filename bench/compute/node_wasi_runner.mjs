// Runs a wasm32-wasi (preview1) command module under Node's built-in WASI, the way the
// benchmarks run it under lunatic: node --experimental-wasi-unstable-preview1 node_wasi_runner.mjs k.wasm [args...]
// The guest's exit code becomes the process exit code.
import { readFile } from 'node:fs/promises';
import v8 from 'node:v8';
import { WASI } from 'node:wasi';
import process from 'node:process';

// Node 20's WASI keeps a stale view of the guest memory after memory.grow when its host calls
// are made through V8 "fast API calls" (from TurboFan-compiled wasm): any guest that grows its
// memory past ~32 MiB then crashes node (SIGSEGV) or corrupts its heap, at random (nodejs/node
// issues 51303 and 53087). Turning fast API calls off avoids it; they only speed up the WASI calls
// themselves, which the kernels make a handful of times.
v8.setFlagsFromString('--no-turbo-fast-api-calls');

const [file, ...args] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node_wasi_runner.mjs module.wasm [args...]\n');
  process.exit(2);
}
const wasi = new WASI({
  version: 'preview1',
  args: [file, ...args],
  env: {},
  preopens: {},
  returnOnExit: true,
});
const module = await WebAssembly.compile(await readFile(file));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
const code = wasi.start(instance);
process.exitCode = code ?? 0;
