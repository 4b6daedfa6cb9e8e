#!/usr/bin/env bash
# Ingest on a shared catalogue (issue 25): the throughput of 1, 2 and 4 `disan worker` processes on one
# PostgreSQL catalogue, beside `disan ingest` on the embedded SQLite catalogue, over the same captures, on
# this machine (every worker shares its cores: the threads are split between the workers). The catalogue's
# own cost per asset is `cargo bench -p disan_catalog --bench coordination`. Median of 3 runs: wall, CPU,
# peak RSS (of the largest process), files per second, ratio to the embedded run.
#
#   bash bench/workers.sh [INPUTS]   (INPUTS: the folder ../shared/bench/make-inputs.sh fills)
#
# Inputs: 72 crops of 6000×4000 (24 MP) from relic-100mp.jpg (real photographs at camera detail), JPEG Q90;
# display + thumbnail per photo (no deep zoom), as a field team's day of photos.
set -euo pipefail
cd "$(dirname "$0")/.."
inputs=${1:-/tmp/anchors-inputs}
jobs=$(nproc)

. bench/common.sh
need vips libvips-tools
need /usr/bin/time time
need bc bc
[ -f "$inputs/relic-100mp.jpg" ] || bash ../shared/bench/make-inputs.sh "$inputs" >&2
cargo build --release --locked -q -p disan_cli
disan=$PWD/target/release/disan
eval "$(bash tests/services/postgres.sh start)"
server=${DISAN_TEST_PG%/*}

work=$(mktemp -d /tmp/disan-workers.XXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/in"
for i in $(seq 0 71); do
    vips crop "$inputs/relic-100mp.jpg" "$work/in/p24_$i.jpg[Q=90]" $((i % 12 * 500)) $((i / 12 * 600)) 6000 4000
done
files=72
echo "input: $files × 24 MP, $(du -sh "$work/in" | cut -f1); $jobs cores; median of 3"

# A fresh database and collection before each run (not timed: a one-off of a deployment).
fresh_shared() {
    rm -rf "$work/c"
    psql -q "$server/postgres" -c "DROP DATABASE IF EXISTS bench_workers" -c "CREATE DATABASE bench_workers"
    "$disan" init "$work/c" --catalog "$server/bench_workers" >/dev/null
}

cat > "$work/workers.sh" <<SH
#!/usr/bin/env bash
# queue the files, then n workers on the queue, each with its share of the threads
set -e
n=\$1
"$disan" --collection "$work/c" queue add "$work/in" >/dev/null
t=\$(( $jobs / n )); [ \$t -ge 1 ] || t=1
for _ in \$(seq \$n); do
    "$disan" --collection "$work/c" worker -j \$t --iiif-min-size 100000 --no-progress >/dev/null &
done
wait
SH

before_each="rm -rf '$work/c'"
: > "$work/results"
median3 embedded-sqlite-ingest "$disan" --collection "$work/c" ingest "$work/in" --iiif-min-size 100000 --no-progress >> "$work/results"
before_each=fresh_shared
for n in 1 2 4; do
    median3 "postgresql-$n-worker(s)" bash "$work/workers.sh" "$n" >> "$work/results"
done
ref=$(awk 'NR == 1 {print $2}' "$work/results")
printf '%-32s %8s %8s %9s %8s %14s\n' run wall_s cpu_s rss_MB files/s wall_vs_sqlite
while read -r label wall cpu rss; do
    printf '%-32s %8.2f %8.2f %9d %8.1f %13.2fx\n' "$label" "$wall" "$cpu" "$rss" "$(echo "$files / $wall" | bc -l)" \
        "$(echo "$wall / $ref" | bc -l)"
done < "$work/results"
