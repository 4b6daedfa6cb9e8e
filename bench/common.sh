# Sourced by the bench scripts: installing an outside tool, timing a command, and the fastest outside
# chain from an equirectangular panorama to tiled cube faces. Expects $work (a scratch folder), $jobs and
# $quality to be set by the script.

need() { # command, Debian package: installs the package when the command is missing
    command -v "$1" >/dev/null || { apt-get update -qq && apt-get install -y -qq "$2"; }
}

measure() { # label, command...: prints "label wall cpu rss_mb"; with measure_accepts_2 set, exit status 2 (a
    # disan run that reported per-file problems) still counts as finished
    local label=$1 rc=0; shift
    sync
    /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || rc=$?
    if [ $rc -ne 0 ] && ! { [ $rc -eq 2 ] && [ -n "${measure_accepts_2:-}" ]; }; then
        cat "$work/stderr" >&2
        exit $rc
    fi
    read -r wall user sys rss < "$work/time"
    printf '%s %s %s %s\n' "$label" "$wall" "$(echo "$user + $sys" | bc)" "$((rss / 1024))"
}

ffmpeg_vips() { # input, output dir, face size, extra `vips dzsave` arguments...: six faces by ffmpeg's v360
    # (bicubic), each cut into 512 px JPEG tiles by `vips dzsave`, faces in parallel
    local in=$1 out=$2 s=$3; shift 3
    local extra="$*"
    mkdir -p "$out"
    ffmpeg -loglevel error -threads "$jobs" -i "$in" \
        -vf "v360=input=e:output=c6x1:out_forder=rludfb:interp=cubic:w=$((6 * s)):h=$s" -y "$out/strip.ppm"
    for i in 0 1 2 3 4 5; do echo "$i"; done | xargs -P "$jobs" -I{} sh -c \
        "vips extract_area '$out/strip.ppm' '$out/face{}.v' \$(({} * $s)) 0 $s $s &&
         vips dzsave '$out/face{}.v' '$out/face{}' --tile-size 512 $extra --suffix '.jpg[Q=$quality]' &&
         rm '$out/face{}.v'"
}

median3() { # label, command...: runs `measure` three times (after "$before_each", if set) and prints the run
    # with the median wall time
    local label=$1; shift
    : > "$work/median"
    for _ in 1 2 3; do
        [ -n "${before_each:-}" ] && eval "$before_each"
        measure "$label" "$@" >> "$work/median"
    done
    sort -k2 -g "$work/median" | sed -n 2p
}

pyvips818() { # installs libvips 8.18 from PyPI (pyvips + pyvips-binary) unless it is there; prints its version
    python3 -c 'import pyvips' 2>/dev/null || pip install -q pyvips pyvips-binary >&2
    python3 -c 'import pyvips; print("%d.%d.%d" % tuple(pyvips.version(i) for i in range(3)))'
}

ffmpeg_vips818() { # input, output dir, face size, dzsave layout (dz or google): ffmpeg_vips with the faces cut
    # and tiled by libvips 8.18 (pyvips) in ONE process, faces over a pool of $jobs threads
    local in=$1 out=$2 s=$3 layout=$4
    mkdir -p "$out"
    ffmpeg -loglevel error -threads "$jobs" -i "$in" \
        -vf "v360=input=e:output=c6x1:out_forder=rludfb:interp=cubic:w=$((6 * s)):h=$s" \
        -f rawvideo -pix_fmt rgb24 -y "$out/strip.rgb"
    # (raw RGB: the PyPI build of libvips has no PPM loader; rawload maps the file)
    python3 -c '
import sys, pyvips
from concurrent.futures import ThreadPoolExecutor
out, s, q, jobs, layout = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
strip = pyvips.Image.rawload(out + "/strip.rgb", 6 * s, s, 3).copy(interpretation="srgb")
def face(i):
    strip.crop(i * s, 0, s, s).dzsave("%s/face%d" % (out, i), layout=layout, tile_size=512, overlap=0,
                                      suffix=".jpg[Q=%d]" % q)
with ThreadPoolExecutor(jobs) as pool:
    list(pool.map(face, range(6)))
' "$out" "$s" "$quality" "$jobs" "$layout"
}

vips818_thumbnails() { # source folder, output folder: libvips 8.18 (pyvips) making each JPEG's 2048 px display
    # (`thumbnail`: shrink-on-load, then Lanczos3) and its 512 px thumbnail from the display, Q85, files over a
    # pool of $jobs threads in ONE process (no process start per file)
    python3 -c '
import sys, os, glob, pyvips
from concurrent.futures import ThreadPoolExecutor
src, out, jobs = sys.argv[1], sys.argv[2], int(sys.argv[3])
def one(f):
    name = os.path.join(out, os.path.basename(f)[:-4])
    # held in memory, since the thumbnail is made from it too
    display = pyvips.Image.thumbnail(f, 2048, size="down").copy_memory()
    display.jpegsave(name + "_display.jpg", Q=85)
    display.thumbnail_image(512).jpegsave(name + "_thumb.jpg", Q=85)
# files in parallel as disan does them (libvips also threads inside each)
with ThreadPoolExecutor(jobs) as pool:
    list(pool.map(one, sorted(glob.glob(os.path.join(src, "*.jpg")))))
' "$1" "$2" "$jobs"
}
