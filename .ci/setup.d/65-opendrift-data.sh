# OpenDrift's NorKyst-800 current and AROME wind test files (16 Nov 2015, 7.1 + 4.5 MB) for
# crates/saebaram-drift/tests/opendrift.rs, taken from OpenDrift 1.14.12's source
# distribution on PyPI (44 MB download, a few seconds; never committed). OpenDrift itself
# is not installed (its venv is 1.2 GB): its tracks on these files are committed in
# crates/saebaram-drift/tests/data/opendrift/ (see SOURCES.md there). Sourced by .ci/run;
# also runs on its own: bash .ci/setup.d/65-opendrift-data.sh
(
    set -euo pipefail
    cd "$(dirname "${BASH_SOURCE[0]}")/../.."
    sdist=target/peers/opendrift-sdist
    data=opendrift-1.14.12/tests/test_data/16Nov2015_NorKyst_z_surface
    if [ -f "$sdist/$data/norkyst800_subset_16Nov2015.nc" ] && [ -f "$sdist/$data/arome_subset_16Nov2015.nc" ]; then
        echo "opendrift data: $sdist/$data is ready"
        exit 0
    fi
    mkdir -p "$sdist"
    py=python3
    command -v "$py" >/dev/null && "$py" -m pip --version >/dev/null 2>&1 || py=target/ci-venv/bin/python3
    "$py" -m pip download -q --disable-pip-version-check --no-deps --no-binary :all: \
        "opendrift==1.14.12" -d "$sdist"
    tar xzf "$sdist/opendrift-1.14.12.tar.gz" -C "$sdist" "$data"
    # Only the two files are needed: the 44 MB archive goes.
    rm -f "$sdist/opendrift-1.14.12.tar.gz"
    echo "opendrift data: $sdist/$data is ready"
)
