#!/usr/bin/env bash
# Serve _build/html on localhost and take headless-Chromium screenshots of the introduction and the chapters,
# so a person (or a reviewer without a browser) can check that code, outputs, figures and launch buttons render.
# Needs Debian's chromium package (installed here if missing; that step needs root).
set -euo pipefail
PYTHON=${PYTHON:-python3}
PORT=${PORT:-8000}
OUT=${OUT:-screenshots}
# Default: the introduction, how to use the book, and every chapter.
CHAPTERS=$(for notebook in notebooks/*.ipynb; do echo "notebooks/$(basename "$notebook" .ipynb)"; done)
PAGES=${PAGES:-"book/intro book/how_to_use $CHAPTERS"}

if ! command -v chromium >/dev/null; then
    echo "chromium not found: installing Debian's package"
    apt-get update -qq && apt-get install -y -qq chromium
fi

"$PYTHON" -m http.server "$PORT" --bind 127.0.0.1 --directory _build/html >/dev/null 2>&1 &
server=$!
profile=$(mktemp -d)
trap 'kill $server; rm -rf "$profile"' EXIT
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$PORT/" >/dev/null && break; sleep 0.2; done

mkdir -p "$OUT"
for page in $PAGES; do
    # The flags keep Chromium off the network (this machine reaches none) and out of first-run dialogs.
    chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
        --disable-component-update --disable-sync --user-data-dir="$profile" --hide-scrollbars \
        --window-size=1280,"${HEIGHT:-2000}" --virtual-time-budget=5000 \
        --screenshot="$OUT/$(basename "$page").png" "http://127.0.0.1:$PORT/$page.html" 2>/dev/null
    echo "$OUT/$(basename "$page").png  <- http://127.0.0.1:$PORT/$page.html"
done
