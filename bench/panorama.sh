#!/usr/bin/env bash
# Panorama tiling: `disan pano` against (b) the fastest outside chain that makes the same product — ffmpeg's
# v360 filter to six cube faces (bicubic) followed by `vips dzsave` per face — and (c) Pannellum's own
# generate.py (Hugin's nona), on the same real-content panoramas in one run: wall, CPU, peak RSS, ratio.
#
#   bash bench/panorama.sh [INPUTS]   (installs ffmpeg, libvips-tools, hugin-tools; INPUTS: the folder
#                                      ../shared/bench/make-inputs.sh fills, default /tmp/anchors-inputs)
#
# Inputs: pano-8k.jpg (8192×4096) and pano-16k.jpg (16384×8192) from make-inputs.sh: mosaics of real
# photographs at ~1.7 bit/px (not smooth upscales, which flatter the JPEG decoder). Median of 3 runs per tool.
set -euo pipefail
cd "$(dirname "$0")/.."
inputs=${1:-/tmp/anchors-inputs}
jobs=$(nproc)
quality=92
# shellcheck source=bench/common.sh
source bench/common.sh

need ffmpeg ffmpeg
need vips libvips-tools
vips818=$(pyvips818)
need nona hugin-tools
[ -x /usr/bin/time ] || apt-get install -y -qq time
/usr/bin/python3 -c "import PIL, distutils" 2>/dev/null || apt-get install -y -qq python3-pil python3-distutils
[ -f "$inputs/pano-16k.jpg" ] || bash ../shared/bench/make-inputs.sh "$inputs" >&2
cargo build --release --locked -q -p disan_cli
disan=$PWD/target/release/disan

work=$(mktemp -d /tmp/disan-pano-bench.XXXX)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm install --silent --no-audit --no-fund pannellum@2.5.7 >/dev/null)
generate=$work/node_modules/pannellum/utils/multires/generate.py


export -f ffmpeg_vips ffmpeg_vips818
export jobs quality

for name in pano-8k pano-16k; do
    in=$inputs/$name.jpg
    w=$(vipsheader -f width "$in"); h=$(vipsheader -f height "$in")
    s=$((8 * (w * 1000000 / 3141593 / 8)))
    echo "== $name ${w}×${h} (face $s px), median of 3"
    before_each="rm -rf '$work/out'"
    {
        median3 disan "$disan" pano "$in" --out "$work/out/disan"
        median3 ffmpeg-v360+vips-dzsave bash -c "ffmpeg_vips '$in' '$work/out/ff' $s --overlap 0"
        median3 "ffmpeg-v360+libvips-$vips818" bash -c "ffmpeg_vips818 '$in' '$work/out/ff818' $s dz"
        median3 pannellum-generate.py /usr/bin/python3 "$generate" -n "$(command -v nona)" -q $quality -o "$work/out/gen" "$in"
    } > "$work/results"
    ref=$(awk '$1 == "disan" {print $2}' "$work/results")
    printf '%-38s %8s %8s %9s %14s\n' tool wall_s cpu_s rss_MB wall_vs_disan
    while read -r label wall cpu rss; do
        printf '%-38s %8.2f %8.2f %9d %13.2fx\n' "$label" "$wall" "$cpu" "$rss" "$(echo "$wall / $ref" | bc -l)"
    done < "$work/results"
    rm -rf "$work/out"
done
echo
echo "wall_vs_disan > 1: that tool took longer than disan. All write JPEG Q$quality tiles of 512 px; disan also"
echo "writes fallback faces, a preview, a rectilinear thumbnail and config.json; generate.py writes fallback faces."
