#!/usr/bin/env bash
# The "messages" benchmark suite (ping-pong, ring, skynet, each beside Erlang/OTP).
# bench/run.sh runs it; the environment it gets and the files it writes are described there.
set -euo pipefail
exec python3 "$(dirname "${BASH_SOURCE[0]}")/msgs.py"
