#!/usr/bin/env bash
# Seeds each fuzz target's corpus (fuzz/corpus/<target>/, not committed) from the real test data and the
# hostile corpus. Usage: fuzz/seed.sh [TESTDATA]  (default ../shared/testdata from the repository root)
set -euo pipefail
cd "$(dirname "$0")/.."
testdata=${1:-${DISAN_TESTDATA:-../shared/testdata}}
hostile=$(mktemp -d)
trap 'rm -rf "$hostile"' EXIT
cargo run -q -p disan_tests --bin hostile-corpus -- "$hostile" >/dev/null
seed() { # target, then files; at most 200 KB each so the fuzzers stay fast
  local target=$1; shift
  mkdir -p "fuzz/corpus/$target"
  for f in "$@"; do
    [ -f "$f" ] && [ "$(stat -c %s "$f")" -le 204800 ] && cp "$f" "fuzz/corpus/$target/$(echo "$f" | tr '/ ' '__')" || true
  done
}
mapfile -t photos < <(find "$testdata/photos" "$testdata/corrupt" "$hostile/exif" "$hostile/xmp" "$hostile/gpano" -type f)
seed exif_xmp "${photos[@]}"
mapfile -t images < <(find "$testdata/photos" "$testdata/corrupt" "$hostile/good" "$hostile/bombs" "$hostile/truncated" "$hostile/mislabelled" -type f)
seed image_header "${images[@]}"
mapfile -t models < <(find "$testdata/models" "$hostile/models" tests/data/models tests/data/gltf-validator -type f \( -name '*.gltf' -o -name '*.glb' \))
seed gltf "${models[@]}"
mapfile -t objs < <(find "$testdata/models" "$hostile/models" -type f -name '*.obj')
seed obj "${objs[@]}"
mapfile -t plys < <(find tests/data/models/ply -type f -name '*.ply')
seed ply "${plys[@]}"
# Manifests: those of a real ingest of the bundled samples.
col=$(mktemp -d)
cargo run -q -p disan_cli -- --collection "$col" ingest assets/samples >/dev/null 2>&1 || true
mapfile -t manifests < <(find "$col/assets" -name asset.json)
seed manifest "${manifests[@]}"
rm -rf "$col"
for t in exif_xmp image_header gltf obj ply manifest; do
  echo "$t: $(find "fuzz/corpus/$t" -type f | wc -l) seeds"
done
