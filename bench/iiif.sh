#!/usr/bin/env bash
# IIIF deep zoom: `disan tiles` against libvips's dzsave (--layout iiif3, tile 512, JPEG Q92, no overlap) on the
# same files in one run: libvips 8.18 from PyPI (pyvips + pyvips-binary, the current release) and Debian's
# `vips` 8.14. Median of 3 runs each: wall, CPU, peak RSS and the wall-time ratio to disan.
#
#   bash bench/iiif.sh [INPUTS]     (INPUTS: the folder ../shared/bench/make-inputs.sh fills;
#                                    default /tmp/anchors-inputs, made when missing)
#
# Inputs, with the detail of real photos (mosaics of real photographs at ~1.7 bit/px, not smooth upscales):
# - relic-100mp.jpg, 12000×8000 (96 MP), from make-inputs.sh;
# - a folder of eight 24 MP photos (6000×4000), crops of it at different offsets, JPEG Q90;
# - mural-1gp.jpg, 40000×25000 (1 gigapixel, a stitched mural or map), the relic photo and its mirror
#   images joined 4×4 and cropped, JPEG Q90 (~240 MB). Skipped with DISAN_BENCH_NO_GIGAPIXEL=1.
set -euo pipefail
cd "$(dirname "$0")/.."
inputs=${1:-/tmp/anchors-inputs}
jobs=$(nproc)
quality=92

. bench/common.sh
need vips libvips-tools
need /usr/bin/time time
need bc bc
need exiftool libimage-exiftool-perl
vips818=$(pyvips818)
[ -f "$inputs/relic-100mp.jpg" ] || bash ../shared/bench/make-inputs.sh "$inputs" >&2
cargo build --release --locked -q -p disan_cli
disan=$PWD/target/release/disan

work=$(mktemp -d /tmp/disan-iiif-bench.XXXX)
trap 'rm -rf "$work"' EXIT
photo=$inputs/relic-100mp.jpg
mkdir -p "$work/f24"
for i in 0 1 2 3 4 5 6 7; do
    vips crop "$photo" "$work/f24/p$i.jpg[Q=90]" $((i * 800)) $((i % 4 * 1300)) 6000 4000
done
mural=$inputs/mural-1gp.jpg
if [ -z "${DISAN_BENCH_NO_GIGAPIXEL:-}" ] && [ ! -f "$mural" ]; then
    python3 - "$photo" "$mural" <<'PY'
import sys, pyvips
im = pyvips.Image.new_from_file(sys.argv[1])
row = im.join(im.fliphor(), "horizontal").join(im, "horizontal").join(im.fliphor(), "horizontal")
big = row.join(row.flipver(), "vertical").join(row, "vertical").join(row.flipver(), "vertical")
big.crop(0, 0, 40000, 25000).jpegsave(sys.argv[2], Q=90)
PY
fi

# dzsave in libvips 8.18 (one Python process, which starts in ~0.1 s) and in Debian's vips CLI.
cat > "$work/dz818.py" <<PY
import sys, pyvips
pyvips.Image.new_from_file(sys.argv[1], access="sequential").dzsave(
    sys.argv[2], layout="iiif3", tile_size=512, overlap=0, suffix=".jpg[Q=$quality]")
PY
dz818() { mkdir -p "$(dirname "$2")" && python3 "$work/dz818.py" "$1" "$2"; }
dz814() { mkdir -p "$(dirname "$2")" && vips dzsave "$1" "$2" --layout iiif3 --tile-size 512 --overlap 0 --suffix ".jpg[Q=$quality]"; }
export -f dz818 dz814
export work quality

report() {
    local ref
    ref=$(awk '$1 == "disan" {print $2}' "$work/results")
    printf '%-30s %8s %8s %9s %14s\n' tool wall_s cpu_s rss_MB wall_vs_disan
    while read -r label wall cpu rss; do
        printf '%-30s %8.2f %8.2f %9d %13.2fx\n' "$label" "$wall" "$cpu" "$rss" "$(echo "$wall / $ref" | bc -l)"
    done < "$work/results"
    rm -f "$work/results"
}

one() { # title, file
    echo "== $1: $(exiftool -s3 -ImageSize "$2"), $(du -h "$2" | cut -f1) ($jobs cores, median of 3)"
    before_each="rm -rf '$work/out'"
    median3 disan "$disan" tiles "$2" --out "$work/out/disan" --no-progress >> "$work/results"
    median3 "libvips-$vips818-dzsave" bash -c "dz818 '$2' '$work/out/v818'" >> "$work/results"
    median3 "vips-$(vips --version | cut -d- -f2)-dzsave(debian)" bash -c "dz814 '$2' '$work/out/v814'" >> "$work/results"
    report
    rm -rf "$work/out"
}

one "one photo" "$photo"
echo "tiles: disan $(mkdir -p "$work/o" && "$disan" tiles "$photo" --out "$work/o/d" --no-progress >/dev/null &&
    find "$work/o/d" -name '*.jpg' | wc -l) files $(du -sh "$work/o/d" | cut -f1), libvips 8.18 $(dz818 "$photo" "$work/o/v" &&
    find "$work/o/v" -name '*.jpg' | wc -l) files $(du -sh "$work/o/v" | cut -f1)"
rm -rf "$work/o"

echo
echo "== a folder of eight 24 MP photos (6000×4000), median of 3"
before_each="rm -rf '$work/out'; mkdir -p '$work/out/v818' '$work/out/vp'"
median3 disan "$disan" tiles "$work"/f24/*.jpg --out "$work/out/disan" --no-progress >> "$work/results"
median3 "libvips-$vips818-one-process" python3 -c "
import sys, glob, os, pyvips
for f in sorted(glob.glob('$work/f24/*.jpg')):
    pyvips.Image.new_from_file(f, access='sequential').dzsave('$work/out/v818/' + os.path.basename(f)[:-4],
        layout='iiif3', tile_size=512, overlap=0, suffix='.jpg[Q=$quality]')" >> "$work/results"
median3 "libvips-$vips818-x$jobs-processes" bash -c "ls '$work'/f24/*.jpg | xargs -P $jobs -I{} bash -c 'dz818 {} $work/out/vp/\$(basename {} .jpg)'" >> "$work/results"
report

if [ -f "$mural" ]; then
    echo
    one "a gigapixel mural" "$mural"
fi
echo
echo "wall_vs_disan > 1: that tool took longer. All write 512 px JPEG tiles at Q$quality (4:4:4) for full resolution,"
echo "except that disan cuts a baseline JPEG no finer than Q$quality (these inputs: Q90) from its own coefficients, so"
echo "its full-resolution tiles are the source's pixels; disan raises quality by 2 per coarser level (up to 98) and"
echo "also writes the full/{w},{h} and full/max images that info.json's sizes promise."
