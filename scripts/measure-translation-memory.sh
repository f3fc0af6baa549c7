#!/usr/bin/env bash
# Measures the runtime's peak memory while it translates a module to C, per byte of the module,
# for code made of one instruction pattern repeated (the densest cases). The C compiler is
# replaced by /bin/false, so the run ends right after the translation.
#   scripts/measure-translation-memory.sh [path/to/lunatic] [module MiB]
# compile_module charges kTranslationBytesPerModuleByte (src/host/process_api.cpp) per byte.
set -euo pipefail
lunatic=${1:-build/lunatic}
mib=${2:-4}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

baseline_kib() {
  printf '\0asm\1\0\0\0' >"$work/empty.wasm"
  # It fails (the module has no _start): only its peak matters.
  { XDG_CACHE_HOME="$work/cache" /usr/bin/time -f '%M' "$lunatic" run "$work/empty.wasm" 2>&1 >/dev/null || true; } | tail -1
}

# Functions of 64 KiB of code, each the pattern repeated, `mib` MiB in all.
make_module() {
  python3 - "$1" "$2" "$3" <<'PY'
import sys
def leb(n):
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | 0x80 if n else b)
        if not n:
            return bytes(out)
def section(i, payload): return bytes([i]) + leb(len(payload)) + payload
def vec(items): return leb(len(items)) + b"".join(items)
patterns = {
    "nop": b"\x01",
    "const-drop": b"\x41\x00\x1a",
    "get-get-add-set": b"\x20\x00\x20\x00\x6a\x21\x00",
    "call": b"\x10\x00",
    "block-end": b"\x02\x40\x0b",
    "get-set": b"\x20\x00\x21\x00",
}
pattern, total, out = patterns[sys.argv[1]], int(sys.argv[2]) << 20, sys.argv[3]
per_function = 64 * 1024
count = max(1, total // per_function)
body = b"\x01\x01\x7f" + pattern * (per_function // len(pattern)) + b"\x0b"
module = (b"\0asm\1\0\0\0" + section(1, vec([b"\x60\x00\x00"])) + section(3, vec([b"\x00"] * count))
          + section(7, vec([b"\x06_start\x00\x00"])) + section(10, vec([leb(len(body)) + body] * count)))
open(out, "wb").write(module)
PY
}

base=$(baseline_kib)
printf '%-16s %10s %12s %8s\n' pattern "module" "peak - base" "per byte"
for pattern in nop const-drop get-set get-get-add-set call block-end; do
  make_module "$pattern" "$mib" "$work/m.wasm"
  rm -rf "$work/cache"
  peak=$({ XDG_CACHE_HOME="$work/cache" CC=/bin/false /usr/bin/time -f '%M' "$lunatic" run "$work/m.wasm" \
           2>&1 >/dev/null || true; } | tail -1)
  bytes=$(stat -c %s "$work/m.wasm")
  printf '%-16s %8s B %9s KiB %8s\n' "$pattern" "$bytes" "$((peak - base))" \
         "$(( (peak - base) * 1024 / bytes ))"
done
