#!/usr/bin/env bash
# Records benchmarks: Argon2id open at the default cost, 100,000 inserts into SQLCipher and
# into plain SQLite in the same run (same code, same SQLite build, only the key differs),
# and a yearly report over 100,000 launches. Also times the real binary opening a
# database with the default cost (`records list` on an empty database).
set -euo pipefail
cd "$(dirname "$0")/../.."

nice -n 19 cargo bench -p saebaram-records --bench records 2>&1 | tee /tmp/records-bench.txt \
    | grep -E '^(records_|  *time:)'

cargo build --release -p saebaram >/dev/null 2>&1
bin=target/release/saebaram
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export SAEBARAM_RECORDS_PASSPHRASE="benchmark passphrase"
"$bin" records --db "$work/r.db" init >/dev/null
echo "binary: records list on an empty database (default Argon2id cost), 5 runs:"
for _ in 1 2 3 4 5; do
    /usr/bin/time -f "  %e s wall, %M KiB max RSS" "$bin" records --db "$work/r.db" list >/dev/null
done
