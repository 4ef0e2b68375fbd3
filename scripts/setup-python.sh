#!/usr/bin/env bash
# Makes Debian's Python packaging tools available for the Python package check
# (scripts/check-python-package.sh). Idempotent: nothing is installed when every
# tool is already there.
#
#   scripts/setup-python.sh
#
# Debian's tools, not pip's: the Python package index cannot be reached from
# our machines, so the wheel and sdist are built with python3-build,
# python3-setuptools and python3-wheel (`--no-isolation --skip-dependency-check`),
# and checked with Debian's twine. Everything runs on /usr/bin/python3, never on
# a `python3` that happens to be first on PATH (pyenv, a virtualenv).
set -euo pipefail

PYTHON=/usr/bin/python3
log() { echo "[setup-python] $*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Debian package -> how to tell it is installed.
missing=()
[ -x "$PYTHON" ] || missing+=(python3)
"$PYTHON" -c 'import build' >/dev/null 2>&1 || missing+=(python3-build)
"$PYTHON" -c 'import setuptools' >/dev/null 2>&1 || missing+=(python3-setuptools)
"$PYTHON" -c 'import wheel' >/dev/null 2>&1 || missing+=(python3-wheel)
[ -x /usr/bin/twine ] || missing+=(twine)

if [ "${#missing[@]}" -gt 0 ]; then
  log "installing Debian's ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

log "$("$PYTHON" --version), build $("$PYTHON" -c 'import importlib.metadata as m; print(m.version("build"))'),"\
" setuptools $("$PYTHON" -c 'import setuptools; print(setuptools.__version__)'),"\
" wheel $("$PYTHON" -c 'import wheel; print(wheel.__version__)'), $(/usr/bin/twine --version | head -n 1 | cut -d" " -f1-3)"
