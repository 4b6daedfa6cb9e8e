#!/usr/bin/env bash
# IIIF deep zoom: `disan tiles` against `vips dzsave --layout iiif3` (tile 512, JPEG Q92, no overlap) on the
# same real-content files in one run: wall, CPU, peak RSS and the wall-time ratio.
#
#   bash bench/iiif.sh            (needs ../shared/testdata; installs libvips-tools)
#
# Inputs, made here from real photos and panoramas in ../shared/testdata with vips (Lanczos3):
# - a ~100 MP photo (11520×8640): a 3×3 mosaic of nine real captures, each cropped and scaled to 3840×2880
#   (scale ≤ 1.52, so the texture stays real), JPEG Q90;
# - a folder of eight 24 MP photos (6000×4000), crops of that mosaic at different offsets, JPEG Q90.
# vips runs once per file (it threads internally) and also with one process per core; the best vips row
# is the one to compare with.
set -euo pipefail
cd "$(dirname "$0")/.."
testdata=${DISAN_TESTDATA:-../shared/testdata}
jobs=$(nproc)
quality=92

. bench/common.sh
need vips libvips-tools
need /usr/bin/time time
need bc bc
cargo build --release --locked -q -p disan_cli
disan=$PWD/target/release/disan

work=$(mktemp -d /tmp/disan-iiif-bench.XXXX)
trap 'rm -rf "$work"' EXIT

# The inputs.
P=$testdata/panoramas
i=0
for spec in "$testdata/photos/jolla.jpg 0 0 3264 2448" "$testdata/photos/iphone_hdr_YES.jpg 0 0 3264 2448" \
    "$P/aframe-lake.jpg 0 0 2731 2048" "$P/aframe-lake.jpg 1365 0 2731 2048" \
    "$P/aframe-louvre-gpano.jpg 0 0 2731 2048" "$P/aframe-louvre-gpano.jpg 1365 0 2731 2048" \
    "$P/pannellum-examplepano.jpg 0 0 2731 2048" "$P/pannellum-examplepano.jpg 1365 0 2731 2048" \
    "$P/egjs-view360/equi-3800x1900.jpg 600 0 2540 1900"; do
    set -- $spec
    vips crop "$1" "$work/c$i.v" "$2" "$3" "$4" "$5"
    vips resize "$work/c$i.v" "$work/r$i.v" "$(echo "scale=6; 2880 / $5" | bc)" --kernel lanczos3
    vips crop "$work/r$i.v" "$work/t$i.v" 0 0 3840 2880
    i=$((i + 1))
done
vips arrayjoin "$(echo "$work"/t{0..8}.v)" "$work/photo100.jpg[Q=90]" --across 3
rm -f "$work"/*.v
mkdir -p "$work/f24"
for i in 0 1 2 3 4 5 6 7; do
    vips crop "$work/photo100.jpg" "$work/f24/p$i.jpg[Q=90]" $((i * 700)) $((i % 4 * 1500)) 6000 4000
done

dz() { vips dzsave "$1" "$2" --layout iiif3 --tile-size 512 --overlap 0 --suffix ".jpg[Q=$quality]"; }
export -f dz
export quality

report() {
    local ref
    ref=$(awk '$1 == "disan" {print $2}' "$work/results")
    printf '%-28s %8s %8s %9s %14s\n' tool wall_s cpu_s rss_MB wall_vs_disan
    while read -r label wall cpu rss; do
        printf '%-28s %8.2f %8.2f %9d %13.2fx\n' "$label" "$wall" "$cpu" "$rss" "$(echo "$wall / $ref" | bc -l)"
    done < "$work/results"
    rm -f "$work/results"
}

echo "== one photo, $(vipsheader -f width "$work/photo100.jpg")×$(vipsheader -f height "$work/photo100.jpg"), $(du -h "$work/photo100.jpg" | cut -f1) ($jobs cores)"
for run in 1 2; do
    rm -rf "$work/out"
    measure disan "$disan" tiles "$work/photo100.jpg" --out "$work/out/disan" >> "$work/results"
    measure vips-dzsave-iiif3 bash -c "dz '$work/photo100.jpg' '$work/out/vips'" >> "$work/results"
    [ $run = 2 ] && report || rm -f "$work/results"
done
echo "tiles: disan $(find "$work/out/disan" -name '*.jpg' | wc -l) files $(du -sh "$work/out/disan" | cut -f1)," \
    "vips $(find "$work/out/vips" -name '*.jpg' | wc -l) files $(du -sh "$work/out/vips" | cut -f1)"

echo
echo "== a folder of eight 24 MP photos (6000×4000)"
for run in 1 2; do
    rm -rf "$work/out"
    measure disan "$disan" tiles "$work"/f24/*.jpg --out "$work/out/disan" --no-progress >> "$work/results"
    mkdir -p "$work/out/vips1"
    measure vips-dzsave-one-by-one bash -c "for f in '$work'/f24/*.jpg; do dz \"\$f\" '$work/out/vips1/'\$(basename \"\$f\" .jpg); done" >> "$work/results"
    mkdir -p "$work/out/vipsp"
    measure "vips-dzsave-x$jobs-processes" bash -c "ls '$work'/f24/*.jpg | xargs -P $jobs -I{} bash -c 'dz {} $work/out/vipsp/\$(basename {} .jpg)'" >> "$work/results"
    [ $run = 2 ] && report || rm -f "$work/results"
done
echo
echo "Each tool ran twice; the second run is shown (warm file cache). wall_vs_disan > 1: that tool took longer."
echo "Both write 512 px JPEG tiles at Q$quality for full resolution; disan raises quality by 2 per coarser level"
echo "(up to 98) and also writes the full/{w},{h} and full/max images that info.json's sizes promise."
