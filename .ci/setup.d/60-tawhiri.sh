# Tawhiri 0.2.0 (the CUSF balloon predictor, GPLv3+) from PyPI into its own venv, as the peer
# of the P0 "standard" profile (crates/saebaram/tests/tawhiri_peer.rs,
# bench/flight/tawhiri_peer.sh). Sourced by .ci/run; also runs on its own:
#   bash .ci/setup.d/60-tawhiri.sh
# Its code never enters this repository: pip fetches the sdists and builds them here.
#
# Only what the solver needs is installed: tawhiri itself (dataset.py, interpolate.pyx,
# solver.pyx, models.py) and magicmemoryview (which interpolate.pyx casts the dataset with),
# both with --no-deps: its web and terrain dependencies (Flask, Flask-Script, ruaumoko,
# gunicorn, strict-rfc3339) are left out; the peer driver never imports api.py. A modern
# Cython re-cythonizes both .pyx files for this Python (--no-build-isolation lets their
# setup.py see it; the shipped .c files are from 2016 and do not build on Python 3.11).
# No source patches are needed.
#
# Idempotent: does nothing when the venv already imports the solver. The venv goes to
# $SAEBARAM_TAWHIRI_VENV, by default target/peers/tawhiri-venv under the workspace.
(
    set -euo pipefail
    cd "$(dirname "${BASH_SOURCE[0]}")/../.."
    venv="${SAEBARAM_TAWHIRI_VENV:-target/peers/tawhiri-venv}"
    check='import tawhiri, tawhiri.dataset, tawhiri.interpolate, tawhiri.models, tawhiri.solver
assert tawhiri.__version__ == "0.2.0", tawhiri.__version__'
    if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "$check" 2>/dev/null; then
        echo "tawhiri: $venv is ready"
        exit 0
    fi
    # Debian's interpreter (python3-dev provides its headers); python3 on PATH otherwise.
    py=python3
    [ -x /usr/bin/python3 ] && py=/usr/bin/python3
    echo "tawhiri: building tawhiri 0.2.0 into $venv with $($py --version)"
    rm -rf "$venv"
    mkdir -p "$(dirname "$venv")"
    "$py" -m venv "$venv"
    pip=("$venv/bin/python" -m pip --disable-pip-version-check -q)
    "${pip[@]}" install "Cython==3.3.1" "setuptools==66.1.1" "wheel==0.48.0" "packaging==26.4"
    "${pip[@]}" install --no-cache-dir --use-pep517 --no-build-isolation --no-deps \
        "magicmemoryview==0.1.5" "Tawhiri==0.2.0"
    "$venv/bin/python" -c "$check"
    echo "tawhiri: $venv is ready"
)
