#!/usr/bin/env bash
# Classify the same 100,000 points with saebaram-geo (criterion) and with shapely/GEOS
# (the peer), in the same run. From the repository root:
#   bash bench/geo/run.sh
# Needs: cargo; python3 with shapely >= 2 and numpy (pip install shapely numpy).
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "== saebaram-geo (criterion, release) =="
nice -n 19 cargo bench -p saebaram-geo --bench classify 2>&1 \
  | grep -E "counts|^classify/|^build/|time:|thrpt:"
echo "== peer: shapely (prepared polygons + contains_xy, and STRtree queries; same work) =="
nice -n 19 python3 bench/geo/peer_shapely.py 5
