#!/usr/bin/env bash
# The "dashboard" benchmark suite: the ring with `--dashboard` and the page open in headless
# Chromium, against without. bench/run.sh runs it; the environment it gets and the files it
# writes are described there. Debian's python3-selenium lives in /usr/bin/python3's path.
set -euo pipefail
python=python3
[[ -x /usr/bin/python3 ]] && python=/usr/bin/python3
exec "$python" "$(dirname "${BASH_SOURCE[0]}")/dashboard.py"
