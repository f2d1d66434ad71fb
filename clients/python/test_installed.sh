#!/bin/sh
# Installs clients/python into a scratch virtual environment, offline, the way the README says (on
# Debian's python3-zmq and python3-msgpack, seen through --system-site-packages), then runs its test
# against that installed copy: the test runs from a scratch folder, so the source rpclb.py is not on
# the path, and the import is checked to come from the environment. pip builds from a copy of the
# folder: a build writes build/ and *.egg-info beside its sources, never in the tree.
#
#   test_installed.sh PYTHON SOURCE_DIR    (RPCLB_AGENT_BIN and RPCLB_CLI_BIN as for test_rpclb.py)
set -eu
python=$1
source=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

"$python" -m venv --system-site-packages "$work/venv"
cp -R "$source/clients/python" "$work/package"
"$work/venv/bin/pip" install --quiet --no-index --no-build-isolation "$work/package" >"$work/pip.log" 2>&1 ||
  { cat "$work/pip.log" >&2; echo "pip install ./clients/python failed" >&2; exit 1; }
cp "$source/clients/python/test_rpclb.py" "$work/"
cd "$work"
where=$("$work/venv/bin/python" -c 'import rpclb; print(rpclb.__file__)')
case "$where" in
  "$work/venv/"*) ;;
  *) echo "rpclb was imported from $where, not from the installed package" >&2; exit 1 ;;
esac
exec "$work/venv/bin/python" "$work/test_rpclb.py"
