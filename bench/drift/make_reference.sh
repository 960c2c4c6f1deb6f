#!/usr/bin/env bash
# Writes crates/saebaram-drift/tests/data/opendrift/reference.json: OpenDrift 1.14.12's
# tracks (bench/drift/opendrift_reference.py) on its own NorKyst-800/AROME test files, which
# the CI test crates/saebaram-drift/tests/opendrift.rs compares saebaram's with. Installs
# OpenDrift into target/peers (bench/drift/setup-opendrift.sh; 1.2 GB, too heavy for CI,
# hence committed tracks) and takes the files from its sdist.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
bash bench/drift/setup-opendrift.sh
data=target/peers/opendrift-sdist/opendrift-1.14.12/tests/test_data/16Nov2015_NorKyst_z_surface
out=crates/saebaram-drift/tests/data/opendrift
mkdir -p "$out"
target/peers/opendrift-venv/bin/python bench/drift/opendrift_reference.py \
    "$data/norkyst800_subset_16Nov2015.nc" "$data/arome_subset_16Nov2015.nc" > "$out/reference.json.tmp"
mv "$out/reference.json.tmp" "$out/reference.json"
sha256sum "$data/norkyst800_subset_16Nov2015.nc" "$data/arome_subset_16Nov2015.nc"
