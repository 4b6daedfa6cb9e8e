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
