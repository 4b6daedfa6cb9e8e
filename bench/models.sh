#!/usr/bin/env bash
# Model simplification: Disan's LOD step (meshoptimizer through the `meshopt` crate) against gltfpack
# (npm, meshoptimizer's own tool) on the same ≥ 1 M-triangle model to the same triangle target, in one run:
# wall time, CPU time and peak RSS (median of 3 runs), triangles reached, and the error of each output measured
# the same way.
#
#   bash bench/models.sh          (needs ../shared/testdata, node/npm)
#
# Input: the Khronos Duck (../shared/testdata/models/Duck_glTF, 4 212 triangles) subdivided 4 times
# (every triangle split in four: 1 078 272 triangles), written as one GLB. No scan with a fitting licence
# was at hand; a subdivided real model has real shape and UV seams, but flat sub-triangles that are easy
# to remove, so the error figures are smaller than a noisy scan's would be.
#
# Both tools aim at 25 % of the triangles with a 1 % error bound (gltfpack: -si 0.25 -se 0.01 -noq, no
# quantization, so both outputs are float GLBs). "meshopt error" is what meshopt_simplify reports for our
# run (gltfpack does not print it); the distance is measured on both outputs by the same code: from every
# input vertex to the output's surface, relative to the bounding-box diagonal (a one-sided Hausdorff).
set -euo pipefail
cd "$(dirname "$0")/.."
testdata=${DISAN_TESTDATA:-../shared/testdata}
[ -x /usr/bin/time ] || apt-get install -y -qq time
command -v bc >/dev/null || apt-get install -y -qq bc

work=$(mktemp -d /tmp/disan-models-bench.XXXX)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm install --silent --no-audit --no-fund gltfpack@1.3.0 >/dev/null)
gltfpack=$work/node_modules/.bin/gltfpack

cargo build --release --locked -q -p disan_model --example lod_bench
bench=$PWD/target/release/examples/lod_bench

"$bench" subdivide "$testdata/models/Duck_glTF/Duck.gltf" "$work/dense.glb" 4 >/dev/null 2>&1 ||
    { cp "$testdata/models/Duck_glTF/"* "$work/"; "$bench" subdivide "$work/Duck.gltf" "$work/dense.glb" 4; }
echo "input: $(du -h "$work/dense.glb" | cut -f1) GLB"

row() { # name, command...: the run with the median wall time of 3
    local name=$1; shift
    : > "$work/runs"
    for _ in 1 2 3; do
        /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" > "$work/out" 2>&1
        read -r wall user sys rss < "$work/time"
        echo "$wall $(echo "$user + $sys" | bc) $rss" >> "$work/runs"
    done
    read -r wall cpu rss < <(sort -g "$work/runs" | sed -n 2p)
    printf "%-11s %8.2f s %8.2f s %8d MB   %s\n" "$name" "$wall" "$cpu" "$((rss / 1024))" \
        "$(tr '\n' ' ' < "$work/out" | cut -c1-90)"
}
echo "median of 3 runs each"
echo "tool         wall        CPU         peak RSS   output"
row disan "$bench" simplify "$work/dense.glb" "$work/disan.glb" 0.25 0.01
row gltfpack "$gltfpack" -i "$work/dense.glb" -o "$work/gltfpack.glb" -si 0.25 -se 0.01 -noq
row disan-5% "$bench" simplify "$work/dense.glb" "$work/disan-5.glb" 0.05 0.05
row gltfpack-5% "$gltfpack" -i "$work/dense.glb" -o "$work/gltfpack-5.glb" -si 0.05 -se 0.05 -noq
for t in disan gltfpack disan-5 gltfpack-5; do
    tris=$(node -e '
      const fs=require("fs"); const b=fs.readFileSync(process.argv[1]); const n=b.readUInt32LE(12);
      const j=JSON.parse(b.slice(20,20+n)); let t=0;
      for (const m of j.meshes) for (const p of m.primitives) t+=j.accessors[p.indices].count/3;
      console.log(t)' "$work/$t.glb")
    printf "%-11s triangles %8d   %s\n" "$t" "$tris" "$("$bench" deviation "$work/dense.glb" "$work/$t.glb")"
done
