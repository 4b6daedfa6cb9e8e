#!/usr/bin/env bash
# Prints one `sha256  path` line for every file Disan writes from the bundled samples: an ingest (with IIIF
# tiles), curated metadata and a site, a tour, and every export (IIIF, JSON-LD, Dublin Core, the tour as
# Pannellum, Marzipano and JSON) after `disan publish`. Run it before and after a refactoring and diff the
# two outputs: a change of behaviour shows as a changed line.
#
#   bash tests/outputs-digest.sh [DISAN_BINARY] > before.txt
#
# Run reports (`runs/*.json`: times and run ids) and the SQLite file are left out; the catalogue's content
# shows through the exports and the tour mirror.
set -euo pipefail
cd "$(dirname "$0")/.."
disan=${1:-target/debug/disan}
disan=$(realpath "$disan")
samples=$(realpath assets/samples)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
c=$work/c
export DISAN_AUTHOR=digest

"$disan" --collection "$c" ingest "$samples" --iiif-min-size 1000 --no-progress >/dev/null 2>&1 || true
ids() { "$disan" --collection "$c" --json list --kind "$1" | python3 -c 'import json,sys; print(" ".join(a["id"] for a in json.load(sys.stdin)))'; }
read -r -a panos <<<"$(ids panorama)"
read -r -a photos <<<"$(ids photo)"
read -r -a models <<<"$(ids model)"
all=("${panos[@]}" "${photos[@]}" "${models[@]}")
q() { "$disan" --collection "$c" "$@" >/dev/null; }

q site create --id ha-long 'name.vi=Vịnh Hạ Long' 'name.en=Ha Long Bay' province=quang-ninh rank=unesco type=scenic_landscape
q site assign ha-long "${all[@]}"
q meta set "${all[@]}" 'title.vi=Vịnh Hạ Long' 'title.en=Ha Long Bay' 'title.zh-Hans=下龙湾' \
    'description.vi=Di sản thiên nhiên thế giới' creator='Trung tâm Truyền thông' \
    rights=https://creativecommons.org/licenses/by-sa/4.0/ date=2024-05-01 'subject.vi=vịnh;đảo'
q site confirm ha-long
q state "${all[@]}" in_review
q state "${all[@]}" published

q tour create ha-long 'title.vi=Dạo quanh vịnh' 'title.en=Around the bay'
q tour add ha-long "${panos[0]}" --yaw 10 'title.vi=Bến thuyền'
q tour add ha-long "${panos[1]}" --pitch -5
q tour link ha-long "${panos[0]}" "${panos[1]}" --yaw 30 --pitch -10 --target-yaw 45
q tour link ha-long "${panos[1]}" "${panos[0]}" --yaw -120 --pitch -8
q tour info ha-long "${panos[0]}" --yaw 60 --pitch 0 --asset "${photos[0]}" 'title.vi=Hang Sửng Sốt' 'text.en=A cave'
q tour move ha-long i1 --yaw 65 --pitch 2

q publish --base-url https://heritage.example.vn/c
for f in iiif jsonld dc; do q export "$f"; done
for f in pannellum marzipano json; do q tour export ha-long --format "$f" --out "$work/tour-$f" --lang en; done

cd "$work"
find c tour-* -type f ! -path 'c/runs/*' ! -name 'catalog.sqlite*' ! -name '.disan.lock' -print0 |
    sort -z | xargs -0 sha256sum
