#!/usr/bin/env bash
# Builds the Python package from the compiled jsii assembly, offline:
#
#   scripts/package-python.sh      (projen task `package:python`; run `npx projen compile` first)
#
# 1. jsii-pacmak generates the Python sources only (`--code-only`) into
#    dist/python-src/, translating the README and doc examples with the tablet
#    that `rosetta:extract` wrote (an example missing from it fails the build);
# 2. Debian's python3-build builds the wheel and the sdist into dist/python/,
#    without isolation and without the dependency check: the build requirements
#    pacmak writes into pyproject.toml would come from PyPI, which is not
#    reachable here; Debian's setuptools and wheel stand in for them.
#
# Needs Debian's python3-build, python3-setuptools and python3-wheel
# (scripts/setup-python.sh installs them). Always /usr/bin/python3, never a
# pyenv or virtualenv `python3` that may be first on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=/usr/bin/python3
SRC=dist/python-src
OUT=dist/python
log() { echo "[package-python] $*" >&2; }

if [ ! -f .jsii ]; then
  log "no .jsii assembly: run 'npx projen compile' first"
  exit 1
fi
if [ ! -f .jsii.tabl.json ]; then
  log "no .jsii.tabl.json tablet: run 'npx projen rosetta:extract' first"
  exit 1
fi
if ! "$PYTHON" -c 'import build, setuptools, wheel' 2>/dev/null; then
  log "Debian's python3-build, python3-setuptools and python3-wheel are needed: run scripts/setup-python.sh"
  exit 1
fi

rm -rf "$SRC" "$OUT"
npx jsii-pacmak --code-only --target python --outdir "$SRC" \
  --rosetta-tablet .jsii.tabl.json --rosetta-unknown-snippets fail
# pacmak puts the sources in a folder named after the target.
SRC="$SRC/python"

"$PYTHON" -m build --no-isolation --skip-dependency-check --outdir "$OUT" "$SRC" >"$SRC.build.log" 2>&1 || {
  log "python3 -m build failed; last lines of $SRC.build.log:"
  tail -n 30 "$SRC.build.log" >&2
  exit 1
}
log "built $(cd "$OUT" && echo *)"
