#!/usr/bin/env bash
# The Marzipano tour export: `disan tour export --format marzipano` (stitch each face from the collection's
# Pannellum pyramid, resample it to 512·2^k, tile every level, encode) against libvips doing the same work from
# the same tiles — `vips arrayjoin` of the finest level's tiles per face, `vips resize` (Lanczos3) to the
# export's face size, `vips dzsave --layout google` (power-of-two levels of 512 px tiles), faces in parallel —
# and, for scale, ffmpeg's v360 filter to six faces from the equirectangular source followed by the same
# dzsave: wall, CPU, peak RSS, ratio, in one run.
#
#   bash bench/tour-export.sh [INPUTS]   (installs ffmpeg and libvips-tools; INPUTS: the folder
#                                         ../shared/bench/make-inputs.sh fills, default /tmp/anchors-inputs)
#
# Inputs: pano-8k.jpg and pano-16k.jpg from make-inputs.sh (mosaics of real photographs at ~1.7 bit/px),
# ingested once (not timed), each the one scene of a tour. Median of 3 runs per tool.
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
[ -x /usr/bin/time ] || apt-get install -y -qq time
[ -f "$inputs/pano-16k.jpg" ] || bash ../shared/bench/make-inputs.sh "$inputs" >&2
cargo build --release --locked -q -p disan_cli
disan=$PWD/target/release/disan

work=$(mktemp -d /tmp/disan-tour-bench.XXXX)
trap 'rm -rf "$work"' EXIT


vips_face() { # pyramid dir, finest level, tiles per side, cube size, output dir, face size, face letter
    local pyr=$1 level=$2 n=$3 cube=$4 out=$5 s=$6 f=$7 tiles=() r c
    for ((r = 0; r < n; r++)); do for ((c = 0; c < n; c++)); do tiles+=("$pyr/$level/$f${r}_${c}.jpg"); done; done
    vips arrayjoin "${tiles[*]}" "$out/$f.v" --across "$n" &&
        vips resize "$out/$f.v" "$out/${f}_s.v" "$(echo "$s / $cube" | bc -l)" --kernel lanczos3 &&
        vips dzsave "$out/${f}_s.v" "$out/$f" --layout google --tile-size 512 --suffix ".jpg[Q=$quality]" &&
        rm "$out/$f.v" "$out/${f}_s.v"
}
vips_faces() { # pyramid dir, finest level, tiles per side, cube size, output dir, face size
    mkdir -p "$5"
    printf '%s\n' f r b l u d | xargs -P "$jobs" -I{} bash -c "vips_face '$1' $2 $3 $4 '$5' $6 {}"
}
vips818_faces() { # the same as vips_faces with libvips 8.18 (pyvips), all six faces in ONE process
    mkdir -p "$5"
    python3 -c '
import sys, pyvips
from concurrent.futures import ThreadPoolExecutor
pyr, level, n, cube, out, s, q, jobs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), \
    sys.argv[5], int(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8])
def face(f):
    tiles = [pyvips.Image.new_from_file("%s/%s/%s%d_%d.jpg" % (pyr, level, f, r, c))
             for r in range(n) for c in range(n)]
    joined = pyvips.Image.arrayjoin(tiles, across=n)
    joined.resize(s / cube, kernel="lanczos3").dzsave("%s/%s" % (out, f), layout="google", tile_size=512,
                                                      suffix=".jpg[Q=%d]" % q)
with ThreadPoolExecutor(jobs) as pool:
    list(pool.map(face, "frbldu"))
' "$@" "$quality" "$jobs"
}
export -f vips_face vips_faces
export -f ffmpeg_vips ffmpeg_vips818 vips818_faces
export jobs quality

for scale in 8k 16k; do
    in=$inputs/pano-$scale.jpg
    w=$(vipsheader -f width "$in"); h=$(vipsheader -f height "$in")
    c=$work/c$scale
    "$disan" --collection "$c" ingest "$in" >/dev/null
    id=$("$disan" --collection "$c" --json search "" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
    DISAN_AUTHOR=bench "$disan" --collection "$c" tour create bench >/dev/null
    DISAN_AUTHOR=bench "$disan" --collection "$c" tour add bench "$id" >/dev/null
    before_each="rm -rf '$work/mz_$scale'"
    median3 disan "$disan" --collection "$c" tour export bench --format marzipano --out "$work/mz_$scale" > "$work/results"
    s=$(python3 -c "import re,sys; print(re.search(r'\"faceSize\": (\d+)', open('$work/mz_$scale/data.js').read()).group(1))")
    echo "== pano-$scale ${w}×${h} (export face $s px), median of 3"
    pyr=$c/assets/$id/pano
    read -r cube tile level < <(python3 -c "import json; m=json.load(open('$pyr/config.json'))['multiRes']; print(m['cubeResolution'], m['tileResolution'], m['maxLevel'])")
    n=$(( (cube + tile - 1) / tile ))
    before_each="rm -rf '$work/vf_$scale' '$work/ff_$scale' '$work/vf818_$scale' '$work/ff818_$scale'"
    median3 vips-arrayjoin+resize+dzsave bash -c "vips_faces '$pyr' $level $n $cube '$work/vf_$scale' $s" >> "$work/results"
    median3 "libvips-$vips818-arrayjoin+resize+dzsave" bash -c "vips818_faces '$pyr' $level $n $cube '$work/vf818_$scale' $s" >> "$work/results"
    median3 ffmpeg-v360+vips-dzsave-google bash -c "ffmpeg_vips '$in' '$work/ff_$scale' $s --layout google" >> "$work/results"
    median3 "ffmpeg-v360+libvips-$vips818-google" bash -c "ffmpeg_vips818 '$in' '$work/ff818_$scale' $s google" >> "$work/results"
    ref=$(awk '$1 == "disan" {print $2}' "$work/results")
    printf '%-42s %8s %8s %9s %14s\n' tool wall_s cpu_s rss_MB wall_vs_disan
    while read -r label wall cpu rss; do
        printf '%-42s %8.2f %8.2f %9d %13.2fx\n' "$label" "$wall" "$cpu" "$rss" "$(echo "$wall / $ref" | bc -l)"
    done < "$work/results"
    rm -rf "$work"/mz_$scale "$work"/ff_$scale "$work"/vf_$scale "$work"/ff818_$scale "$work"/vf818_$scale "$c"
done
echo
echo "wall_vs_disan > 1: that tool took longer than disan. All write JPEG Q$quality tiles of 512 px on power-of-two"
echo "levels. disan and the vips chain start from the collection's tile pyramid (decode + join + resample); the"
echo "ffmpeg chain projects the equirectangular source instead. disan also writes the preview strip, data.js and"
echo "the page."
