#!/usr/bin/env bash
# Ingest throughput: `disan ingest` against `vips thumbnail` making the same two derivatives (2048 px display and
# 512 px thumbnail, JPEG Q85) of the same real photos, in one run, median of 3, with wall time, CPU time, peak RSS
# and the ratio.
#
#   bash bench/ingest.sh [COPIES]     (default 12 copies of each real photo; needs ../shared/testdata)
#
# Each copy gets a different trailer after the JPEG end marker, so every file is a distinct asset to disan.
set -euo pipefail
cd "$(dirname "$0")/.."
copies=${1:-12}
testdata=${DISAN_TESTDATA:-../shared/testdata}
jobs=$(nproc)

. bench/common.sh
need vips libvips-tools
need /usr/bin/time time
need bc bc
vips818=$(pyvips818)
export -f vips818_thumbnails
export jobs
measure_accepts_2=1 # a bad file among the inputs must not stop the comparison
cargo build --release --locked -q -p disan_cli
disan=$PWD/target/release/disan

work=$(mktemp -d /tmp/disan-bench.XXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/in" "$work/vips"
# Real photos of the sizes field teams bring (8 MP phones, a 3.3 MP phone, small compacts).
sources=(photos/iphone_hdr_YES.jpg photos/jolla.jpg photos/photoprism/altitude.jpg photos/DSCN0010.jpg
         photos/DSCN0021.jpg photos/photoprism/Iceland-P3.jpg)
for s in "${sources[@]}"; do
    for i in $(seq 1 "$copies"); do
        name=$(basename "$s" .jpg)
        { cat "$testdata/$s"; printf 'bench-copy-%04d' "$i"; } > "$work/in/${name}_$i.jpg"
    done
done
files=$(ls "$work/in" | wc -l)
mpix=$(for f in "$work/in"/*.jpg; do vipsheader -f width "$f"; vipsheader -f height "$f"; done |
       paste - - | awk '{s += $1 * $2} END {printf "%.1f", s / 1e6}')
echo "input: $files real photos, $mpix MP, $(du -sh "$work/in" | cut -f1); $jobs threads"

vips_both() { # one file: display, then the thumbnail from the display, as disan does
    local f=$1 out=$2/$(basename "$1" .jpg)
    vips thumbnail "$f" "${out}_display.jpg[Q=85]" 2048 --size down
    vips thumbnail "${out}_display.jpg" "${out}_thumb.jpg[Q=85]" 512 --size down
}
export -f vips_both

# Each row is the median of 3 runs (by wall time), every tool in this one run.
mkdir -p "$work/tiny" "$work/tiny-out"
for i in $(seq 1 "$files"); do cp "$testdata/photos/exiftool/GoPro.jpg" "$work/tiny/t$i.jpg"; done
{
    before_each="rm -rf '$work/col'" median3 "disan-ingest" "$disan" ingest "$work/in" --collection "$work/col" --no-progress
    # (the collection of the last run above, unchanged)
    median3 "disan-rerun-unchanged" "$disan" ingest "$work/in" --collection "$work/col" --no-progress
    before_each="rm -rf '$work/vips'; mkdir -p '$work/vips'" median3 "vips-thumbnail-x2" \
        bash -c "ls '$work'/in/*.jpg | xargs -P $jobs -I{} bash -c 'vips_both {} $work/vips'"
    # libvips 8.18 from PyPI doing the same in one process: no start-up per file.
    before_each="rm -rf '$work/vips818'; mkdir -p '$work/vips818'" median3 "libvips-$vips818-one-process" \
        bash -c "vips818_thumbnails '$work/in' '$work/vips818'"
    # The same number of vips processes on an 8x8 image: the start-up floor that the CLI pays per file.
    median3 "vips-startup-floor" bash -c "ls '$work'/tiny/*.jpg | xargs -P $jobs -I{} bash -c 'vips_both {} $work/tiny-out'"
} > "$work/results"

echo
printf '%-30s %8s %8s %10s %10s %9s %12s\n' tool wall_s cpu_s photos/s MP/s rss_MB vs_vips_wall
vips_wall=$(awk '$1 == "vips-thumbnail-x2" {print $2}' "$work/results")
grep -v "rerun\|floor" "$work/results" | while read -r label wall cpu rss; do
    awk -v l="$label" -v w="$wall" -v c="$cpu" -v r="$rss" -v n="$files" -v mp="$mpix" -v vw="$vips_wall" \
        'BEGIN { w = (w < 0.001 ? 0.001 : w); printf "%-30s %8.2f %8.2f %10.1f %10.1f %9d %11.2fx\n", l, w, c, n / w, mp / w, r, vw / w }'
done
read -r _ rerun_wall _ rerun_rss < <(grep rerun "$work/results")
echo
read -r _ floor_wall floor_cpu _ < <(grep floor "$work/results")
echo "vips start-up floor ($files x 2 processes on an 8x8 image): ${floor_wall} s wall, ${floor_cpu} s CPU; vips minus floor: $(echo "$vips_wall - $floor_wall" | bc) s"
echo "re-run over the same $files unchanged photos: ${rerun_wall} s wall, ${rerun_rss} MB peak (no file is read or hashed)"
echo "vs_vips_wall > 1 means faster than vips. disan also hashes (BLAKE3), reads EXIF/XMP, writes asset.json and the catalogue."
