#!/usr/bin/env bash
# The symbol-level layer check on the real build, and proof that it fails on a
# planted upward call (an object counted as model/ that calls the report formatter).
set -u
: "${BUILD:?}" "${SRCDIR:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 "$SRCDIR/tests/check_symbols.py" "$BUILD" || { echo "FAIL: the build itself breaks the layer rule"; exit 1; }
${CC:-cc} -c -o "$tmp/planted.o" "$SRCDIR/tests/layers/planted.c" || { echo "FAIL: cannot compile the planted object"; exit 1; }
out=$(python3 "$SRCDIR/tests/check_symbols.py" "$BUILD" --extra "model=$tmp/planted.o")
rc=$?
if [ $rc -ne 1 ] || ! grep -q "planted.o (model) uses ps_out_report, defined in out_report.c.o (output)" <<<"$out"; then
	echo "FAIL: the planted violation was not caught (exit $rc): $out"; exit 1
fi
echo "ok - planted model->output call caught: $out"
