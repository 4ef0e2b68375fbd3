#!/usr/bin/env bash
# Checks the Python package that scripts/package-python.sh built:
#
#   scripts/check-python-package.sh     (projen task `package:python-check` builds it first)
#
# - `twine check --strict` on the wheel and the sdist (Debian's twine);
# - the metadata in the wheel says what package.json says (so no string was
#   altered on its way through setup.py's triple-quoted JSON);
# - every generated module, and every module in the wheel, byte-compiles with
#   Debian's /usr/bin/python3, warnings as errors (an invalid escape sequence in
#   a docstring is a warning today and an error in later Pythons), and so do
#   the command scripts (`byoa`);
# - the ```python blocks of README.md, and of the Python package's README
#   (the examples as jsii-rosetta translated them), compile and use only names,
#   members and keyword arguments the generated package has
#   (scripts/check-readme-python.py; static: running them would need the jsii
#   runtime and aws-cdk-lib from PyPI).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=/usr/bin/python3
OUT=dist/python
SRC=dist/python-src/python
log() { echo "[check-python] $*" >&2; }

shopt -s nullglob
wheels=("$OUT"/*.whl)
sdists=("$OUT"/*.tar.gz)
if [ "${#wheels[@]}" -ne 1 ] || [ "${#sdists[@]}" -ne 1 ]; then
  log "expected one wheel and one sdist in $OUT, found: ${wheels[*]:-no wheel} ${sdists[*]:-no sdist}"
  exit 1
fi
if [ ! -x /usr/bin/twine ]; then
  log "Debian's twine is needed: run scripts/setup-python.sh"
  exit 1
fi

/usr/bin/twine check --strict "${wheels[0]}" "${sdists[0]}"

unpacked="$(mktemp -d /tmp/byoa-wheel.XXXXXX)"
trap 'rm -rf "$unpacked"' EXIT
"$PYTHON" -m zipfile -e "${wheels[0]}" "$unpacked"

"$PYTHON" - "$unpacked" <<'EOF'
import email, glob, json, sys
pkg = json.load(open("package.json"))
meta_file, = glob.glob(f"{sys.argv[1]}/*.dist-info/METADATA")
meta = email.message_from_string(open(meta_file, encoding="utf8").read())
expected = {
    "Name": pkg["jsii"]["targets"]["python"]["distName"],
    "Summary": pkg["description"],
    "Author": f'{pkg["author"]["name"]}<{pkg["author"]["email"]}>',
    "License": pkg["license"],
}
wrong = [f"{k}: {meta.get(k)!r}, package.json says {v!r}" for k, v in expected.items() if meta.get(k) != v]
if wrong:
    sys.exit("[check-python] the wheel's metadata differs from package.json:\n  " + "\n  ".join(wrong))
print(f"[check-python] wheel metadata matches package.json ({', '.join(expected)})", file=sys.stderr)
EOF

modules=$(find "$SRC/src" "$unpacked" -name '*.py' | wc -l)
"$PYTHON" -W error -m compileall -q -f "$SRC/src" "$unpacked"
mapfile -t scripts < <(find "$SRC"/src/*/_jsii/bin -maxdepth 1 -type f 2>/dev/null)
[ "${#scripts[@]}" -eq 0 ] || "$PYTHON" -W error -m py_compile "${scripts[@]}"

for readme in README.md "$SRC/README.md"; do
  "$PYTHON" scripts/check-readme-python.py "$readme" "$SRC/src/cdk_sagemaker_byoa/__init__.py"
done
log "twine check passed for $(basename "${wheels[0]}") and $(basename "${sdists[0]}"); $modules modules and ${#scripts[@]} command scripts byte-compile with $("$PYTHON" --version)"
