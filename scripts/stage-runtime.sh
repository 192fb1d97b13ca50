#!/usr/bin/env bash
# Stage what the runtime image holds into $1: package files, the compiled dist/ and the static assets
# sources read next to their modules (icons). Used by the Dockerfile's build stage and by .ci/run, so
# CI checks exactly what the image would run. Expects `npm run build` to have produced dist/.
set -euo pipefail
target=${1:?usage: scripts/stage-runtime.sh <dir>}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$target"
cp "$root/package.json" "$root/package-lock.json" "$target/"
cp -R "$root/dist" "$target/dist"
(cd "$root/src" && find . -type f \( -name '*.svg' -o -name '*.png' \) -print0 | while IFS= read -r -d '' asset; do
  mkdir -p "$target/dist/$(dirname "$asset")"
  cp "$asset" "$target/dist/$asset"
done)
find "$target/dist" -name '*.map' -delete
