#!/usr/bin/env bash
# OpenDrift 1.14.12 (GPL-2.0) from PyPI into its own venv, its dependencies pinned by
# bench/drift/opendrift-constraints.txt, and its source distribution (for the NorKyst-800
# and AROME test files under tests/test_data) unpacked beside it. Idempotent.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
venv=target/peers/opendrift-venv
if ! [ -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import opendrift" 2>/dev/null; then
    py=python3
    [ -x /usr/bin/python3 ] && py=/usr/bin/python3
    rm -rf "$venv"
    "$py" -m venv "$venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check \
        -c bench/drift/opendrift-constraints.txt "opendrift==1.14.12"
fi
sdist=target/peers/opendrift-sdist
if ! [ -d "$sdist/opendrift-1.14.12/tests/test_data/16Nov2015_NorKyst_z_surface" ]; then
    mkdir -p "$sdist"
    "$venv/bin/python" -m pip download -q --disable-pip-version-check --no-deps \
        --no-binary :all: "opendrift==1.14.12" -d "$sdist"
    tar xzf "$sdist/opendrift-1.14.12.tar.gz" -C "$sdist" \
        opendrift-1.14.12/tests/test_data/16Nov2015_NorKyst_z_surface
fi
echo "opendrift: $venv is ready"
