#!/usr/bin/env bash
# Ingest of large captures (24 MP and 50 MP, shrink-on-load): `disan ingest` making the 2048 px display and the
# 512 px thumbnail (JPEG Q85) against libvips 8.18 (PyPI pyvips + pyvips-binary) making the same two files in
# ONE process (`thumbnail`, which shrinks on load, then the thumbnail from the display), so neither side pays a
# process start per file. Also `disan ingest` with its default deep zoom (IIIF tiles for photos ≥ 4096 px), for
# scale, and libjpeg-turbo's djpeg decoding the files at the same DCT scale and nothing else (the bound). Median of
# 3 runs: wall, CPU, peak RSS, ratio.
#
#   bash bench/ingest-large.sh [INPUTS]   (INPUTS: the folder ../shared/bench/make-inputs.sh fills)
#   DISAN_BEFORE=/path/to/disan bash bench/ingest-large.sh   also times an older build of disan on the same
#                                         files (issue 21 compares with the one before shrink-on-load, 0f3e416)
#
# Inputs: eight 6000×4000 (24 MP) and four 8660×5775 (50 MP) crops of relic-100mp.jpg (a mosaic of real
# photographs at camera detail, ~1.7 bit/px) at different offsets, JPEG Q90, each with the source's EXIF.
set -euo pipefail
cd "$(dirname "$0")/.."
inputs=${1:-/tmp/anchors-inputs}
jobs=$(nproc)

. bench/common.sh
need vips libvips-tools
need /usr/bin/time time
need bc bc
need djpeg libjpeg-turbo-progs
vips818=$(pyvips818)
export -f vips818_thumbnails
export jobs
[ -f "$inputs/relic-100mp.jpg" ] || bash ../shared/bench/make-inputs.sh "$inputs" >&2
cargo build --release --locked -q -p disan_cli
disan=$PWD/target/release/disan

work=$(mktemp -d /tmp/disan-ingest-large.XXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/in"
for i in 0 1 2 3 4 5 6 7; do
    vips crop "$inputs/relic-100mp.jpg" "$work/in/p24_$i.jpg[Q=90]" $((i * 800)) $((i % 4 * 1300)) 6000 4000
done
for i in 0 1 2 3; do
    vips crop "$inputs/relic-100mp.jpg" "$work/in/p50_$i.jpg[Q=90]" $((i * 1100)) $((i % 2 * 2200)) 8660 5775
done
echo "input: 8 × 24 MP + 4 × 50 MP = 392 MP, $(du -sh "$work/in" | cut -f1); $jobs threads; median of 3"


before_each="rm -rf '$work/c' '$work/v'; mkdir -p '$work/v'"
: > "$work/results"
median3 disan-display+thumb "$disan" --collection "$work/c" ingest "$work/in" --iiif-min-size 100000 --no-progress >> "$work/results"
median3 "libvips-$vips818-thumbnail-one-process" bash -c "vips818_thumbnails '$work/in' '$work/v'" >> "$work/results"
# The bound: libjpeg-turbo decoding each file at the DCT scale libvips uses (1/2 for 24 MP, 1/4 for 50 MP, the
# smallest power of two that still covers 2048 px) and nothing else, files over $jobs processes (Debian's djpeg).
# disan decodes the 24 MP files at 3/8, which costs libjpeg-turbo the same as 1/2 (74 against 76 ms a file).
median3 djpeg-decode-only-bound bash -c "ls '$work'/in/p24_*.jpg | xargs -P $jobs -n 1 djpeg -scale 1/2 -outfile /dev/null
    ls '$work'/in/p50_*.jpg | xargs -P $jobs -n 1 djpeg -scale 1/4 -outfile /dev/null" >> "$work/results"
if [ -n "${DISAN_BEFORE:-}" ]; then
    median3 disan-before-display+thumb "$DISAN_BEFORE" --collection "$work/c" ingest "$work/in" --iiif-min-size 100000 \
        --no-progress >> "$work/results"
fi
median3 disan-with-deep-zoom "$disan" --collection "$work/c" ingest "$work/in" --no-progress >> "$work/results"
ref=$(awk 'NR == 1 {print $2}' "$work/results")
printf '%-40s %8s %8s %9s %8s %14s\n' run wall_s cpu_s rss_MB MP/s wall_vs_disan
while read -r label wall cpu rss; do
    printf '%-40s %8.2f %8.2f %9d %8.0f %13.2fx\n' "$label" "$wall" "$cpu" "$rss" "$(echo "392 / $wall" | bc -l)" \
        "$(echo "$wall / $ref" | bc -l)"
done < "$work/results"
