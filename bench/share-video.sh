#!/usr/bin/env bash
# `disan share`'s videos against ffmpeg doing the same job, in one run, median of $RUNS (default 3):
#
# - pan: a 20 s 1080p panorama pan in both shapes (16:9, 90° wide; 9:16, 55° wide), the view turning 80° with
#   the same easing. disan renders from the collection's tile pyramid and encodes with OpenH264; ffmpeg 5.1
#   renders each frame from the equirectangular source with v360 (bilinear; per-frame yaw by sendcmd) and
#   encodes with libx264 `-preset medium`, yuv420p, 30 fps.
# - turntable: a 20 s model turntable in both shapes drawn by disan_render (on this machine, Mesa's lavapipe)
#   and encoded by OpenH264; ffmpeg cannot draw a glTF model, so its column is libx264 `-preset medium`
#   encoding the same frames from a raw file (encode only).
#
# Printed per job: wall, CPU, peak RSS, wall relative to disan, real-time factor (video seconds per wall
# second), file size, and for the pan the SSIM of each output against ffmpeg's lossless render of the same
# camera path (disan's figure also counts the difference between its sampler and v360's, about 0.98 on a
# still frame); then, for the pan and the turntable, both encoders alone on exactly the same frames, timed,
# with their SSIM against them.
#
#   bash bench/share-video.sh          (needs ffmpeg; builds the demo collection from assets/samples)
#   RUNS=3 SECONDS_LONG=20 ONLY=pan|turntable bash bench/share-video.sh
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
runs=${RUNS:-3}
seconds=${SECONDS_LONG:-20}
only=${ONLY:-}  # pan or turntable: run one job
# shellcheck source=bench/common.sh
source bench/common.sh
need ffmpeg ffmpeg
[ -x /usr/bin/time ] || apt-get install -y -qq time
cargo build --release --locked -q -p disan_cli
cargo build --release --locked -q -p disan_video --example encode_rgb
disan=$PWD/target/release/disan
work=$(mktemp -d /tmp/disan-video-bench.XXXX)
trap 'rm -rf "$work"' EXIT
export WGPU_BACKEND=${WGPU_BACKEND:-vulkan}

DISAN=$disan bash assets/samples/demo.sh "$work/demo" "$work/site" >/dev/null
pano=77ae41663658b94a  # aframe-louvre-gpano.jpg, 4096×2048, a real panorama
model=47bc89b1a254acef # DamagedHelmet
source_pano=assets/samples/panoramas/aframe-louvre-gpano.jpg

# ffmpeg's camera path: v360's yaw command turns by the value given, so each frame gets the step since the last.
python3 - "$seconds" > "$work/path.txt" <<'EOF'
import math, sys
seconds = float(sys.argv[1]); n = int(seconds * 30); last = 0.0
for i in range(n):
    u = i / 30 / seconds
    yaw = -40 + 80 * (1 - math.cos(math.pi * u)) / 2
    print(f"{i / 30:.4f} v360 yaw {yaw - last:.6f};")
    last = yaw
EOF
ffmpeg_pan() { # w h hfov codec-args... > out
    local w=$1 h=$2 hfov=$3 out=$4; shift 4
    local vfov
    vfov=$(python3 -c "import math; print(2 * math.degrees(math.atan(math.tan(math.radians($hfov / 2)) * $h / $w)))")
    ffmpeg -v error -y -threads "$jobs" -loop 1 -framerate 30 -t "$seconds" -i "$source_pano" \
        -vf "sendcmd=f=$work/path.txt,v360=e:flat:h_fov=$hfov:v_fov=$vfov:w=$w:h=$h:interp=linear,format=yuv420p" \
        "$@" -r 30 "$out"
}
export -f ffmpeg_pan
export work seconds source_pano jobs

median() { # file with "label wall cpu rss" lines: the median line per label
    python3 - "$1" <<'EOF'
import sys, collections
rows = collections.OrderedDict()
for line in open(sys.argv[1]):
    label, *vals = line.split()
    rows.setdefault(label, []).append([float(v) for v in vals])
for label, runs in rows.items():
    runs.sort(key=lambda r: r[0])
    wall, cpu, rss = runs[len(runs) // 2]
    print(label, wall, cpu, int(rss))
EOF
}

table() { # results file, video seconds made per run
    local ref
    ref=$(awk '$1 == "disan" {print $2}' "$1")
    printf '%-34s %8s %8s %8s %10s %10s\n' tool wall_s cpu_s rss_MB vs_disan realtime
    while read -r label wall cpu rss; do
        printf '%-34s %8.2f %8.2f %8d %9.2fx %9.2fx\n' "$label" "$wall" "$cpu" "$rss" \
            "$(echo "$wall / $ref" | bc -l)" "$(echo "$2 / $wall" | bc -l)"
    done < "$1"
}

ssim() { # a b: the SSIM "All" figure of a against b
    ffmpeg -i "$1" -i "$2" -lavfi ssim -f null - 2>&1 | sed -n 's/.*All:\([0-9.]*\).*/\1/p'
}

# Both encoders on exactly the same pictures: $work/frames.rgb (1920×1080 rgb24). disan's encoder (the
# `encode_rgb` example: OpenH264 configured as `disan share` does, its RGB to BT.709 limited-range yuv420p
# conversion included in its time) encodes them and writes the yuv420p it was given; libx264 `-preset medium`
# (CRF 23, ffmpeg's default) encodes that yuv420p. Encode only, median of $runs, then each output's SSIM (Y,
# and All: ffmpeg's weighted mean of Y, U and V) against that yuv420p over every frame.
same_frames() { # what the frames are
    target/release/examples/encode_rgb 1920 1080 "$work/frames.rgb" "$work/eq-ours.mp4" "$work/given.yuv" 2>/dev/null
    : > "$work/eq"
    for ((r = 0; r < runs; r++)); do
        measure disan target/release/examples/encode_rgb 1920 1080 "$work/frames.rgb" "$work/eq-ours.mp4" >> "$work/eq"
        measure libx264-medium-crf23 ffmpeg -v error -y -threads "$jobs" -f rawvideo -pix_fmt yuv420p -s 1920x1080 \
            -framerate 30 -i "$work/given.yuv" -c:v libx264 -preset medium "$work/eq-x264.mp4" >> "$work/eq"
    done
    echo
    echo "== encoders alone on $1 (disan's time includes its RGB to yuv420p conversion)"
    median "$work/eq" > "$work/eq.median"
    table "$work/eq.median" "$seconds"
    local f y all
    for f in ours x264; do
        read -r y all <<< "$(ffmpeg -i "$work/eq-$f.mp4" -f rawvideo -pix_fmt yuv420p -s 1920x1080 -framerate 30 \
            -i "$work/given.yuv" -lavfi ssim -f null - 2>&1 | sed -n 's/.*Y:\([0-9.]*\) .*All:\([0-9.]*\).*/\1 \2/p')"
        printf 'SSIM against the frames both were given, %s: Y %s All %s, %s Mbit/s\n' "$f" "$y" "$all" \
            "$(echo "scale=1; $(stat -c %s "$work/eq-$f.mp4") * 8 / $seconds / 1000000" | bc)"
    done
    rm -f "$work/frames.rgb" "$work/given.yuv"
}

if [ "$only" != turntable ]; then
echo "== pan: 2 × ${seconds} s (1920×1080 and 1080×1920), $runs runs each, $jobs cores"
: > "$work/pan"
for ((r = 0; r < runs; r++)); do
    rm -rf "$work/posts"
    measure disan "$disan" --collection "$work/demo" share "$pano" --lang vi --formats pan --seconds "$seconds" \
        --out "$work/posts" >> "$work/pan"
    measure ffmpeg-v360+libx264-medium bash -c "ffmpeg_pan 1920 1080 90 '$work/ff-16x9.mp4' -c:v libx264 -preset medium &&
        ffmpeg_pan 1080 1920 55 '$work/ff-9x16.mp4' -c:v libx264 -preset medium" >> "$work/pan"
done
median "$work/pan" > "$work/pan.median"
table "$work/pan.median" $((2 * seconds))
ffmpeg_pan 1920 1080 90 "$work/lossless.mkv" -c:v libx264 -preset ultrafast -qp 0
ours=$work/posts/$pano/vi/pan-16x9.mp4
printf 'SSIM against the lossless v360 render (16:9): disan %s (%s MB), ffmpeg %s (%s MB)\n' \
    "$(ssim "$ours" "$work/lossless.mkv")" "$(($(stat -c %s "$ours") / 1000000))" \
    "$(ssim "$work/ff-16x9.mp4" "$work/lossless.mkv")" "$(($(stat -c %s "$work/ff-16x9.mp4") / 1000000))"
# Like for like: both encoders given exactly the same pictures, ffmpeg's lossless render of the 16:9 pan.
ffmpeg -v error -y -i "$work/lossless.mkv" -f rawvideo -pix_fmt rgb24 "$work/frames.rgb"
rm -f "$work/lossless.mkv"
same_frames "the same ${seconds} s of the pan's 16:9 frames"
fi

if [ "$only" != pan ]; then
echo
echo "== turntable: 2 × ${seconds} s (1920×1080 and 1080×1920), $runs runs each"
: > "$work/tt"
for ((r = 0; r < runs; r++)); do
    rm -rf "$work/posts"
    measure disan "$disan" --collection "$work/demo" share "$model" --lang vi --formats turntable \
        --seconds "$seconds" --out "$work/posts" >> "$work/tt"
    if [ "$r" -eq 0 ]; then
        for shape in 16x9 9x16; do
            ffmpeg -v error -y -i "$work/posts/$model/vi/turntable-$shape.mp4" -f rawvideo -pix_fmt yuv420p "$work/tt-$shape.yuv"
        done
    fi
    measure ffmpeg-libx264-medium-encode-only bash -c "
        ffmpeg -v error -y -threads $jobs -f rawvideo -pix_fmt yuv420p -s 1920x1080 -r 30 -i '$work/tt-16x9.yuv' -c:v libx264 -preset medium '$work/tt1.mp4' &&
        ffmpeg -v error -y -threads $jobs -f rawvideo -pix_fmt yuv420p -s 1080x1920 -r 30 -i '$work/tt-9x16.yuv' -c:v libx264 -preset medium '$work/tt2.mp4'" >> "$work/tt"
done
median "$work/tt" > "$work/tt.median"
table "$work/tt.median" $((2 * seconds))
# The encoders alone on the turntable's 16:9 frames (disan's own video decoded: the same input for both).
ffmpeg -v error -y -i "$work/posts/$model/vi/turntable-16x9.mp4" -f rawvideo -pix_fmt rgb24 "$work/frames.rgb"
same_frames "the same ${seconds} s of the turntable's 16:9 frames"
fi
echo
echo "vs_disan > 1: that tool took longer than disan. realtime > 1: faster than real time."
