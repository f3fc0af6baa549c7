#!/usr/bin/env bash
# The "upgrade" benchmark suite (hot code upgrade of 10,000 idle processes, a bystander's pauses
# during it, and wrk against examples/hot_upgrade while it is upgraded). upgrade.py builds the
# guests (clang --target=wasm32-wasi) and runs them. bench/run.sh runs it; the environment it
# gets and the files it writes are described there.
set -euo pipefail
exec python3 "$(dirname "${BASH_SOURCE[0]}")/upgrade.py"
