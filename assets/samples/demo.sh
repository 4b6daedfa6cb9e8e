#!/usr/bin/env bash
# The README's demo: ingest the bundled samples into a collection, give them demo metadata (two sites,
# titles and descriptions in vi/en/zh-Hans, rights, credits; published; a tour), and build the website.
# Usage: bash assets/samples/demo.sh [COLLECTION] [SITE]   (defaults: demo, demo-site); DISAN=path/to/disan.
set -euo pipefail
cd "$(dirname "$0")/../.."
collection=${1:-demo}
site=${2:-demo-site}
disan=${DISAN:-target/release/disan}
run() { "$disan" --collection "$collection" --author demo "$@"; }
run ingest assets/samples
# Sites: the photos taken in Arezzo (with their GPS position), and everything else the samples hold.
run site show demo-arezzo >/dev/null 2>&1 || run site create --id demo-arezzo \
    name.vi="Ảnh mẫu: Arezzo, Ý" name.en="Samples: Arezzo, Italy" name.zh-Hans="示例：意大利阿雷佐" \
    description.vi="Năm ảnh mẫu có GPS chụp tại Arezzo (Ý) năm 2008, dùng để thử Disan." \
    description.en="Five sample photos with GPS, taken in Arezzo (Italy) in 2008, for trying Disan." \
    description.zh-Hans="2008年在意大利阿雷佐拍摄的五张带GPS的示例照片，用于试用 Disan。" \
    lat=43.4676 lon=11.8839 highlight=yes >/dev/null
run site show demo-samples >/dev/null 2>&1 || run site create --id demo-samples \
    name.vi="Mẫu thử của Disan" name.en="Disan's samples" name.zh-Hans="Disan 示例" \
    description.vi="Ảnh, ảnh toàn cảnh 360° và mô hình 3D mẫu có giấy phép tự do." \
    description.en="Freely licensed sample photos, 360° panoramas and 3D models." \
    description.zh-Hans="自由许可的示例照片、360°全景和三维模型。" >/dev/null
run meta import assets/samples/demo-metadata.csv >/dev/null
# The CSV sends them to review; a curator (here, the script) publishes what review passed.
run state --in-state in_review published >/dev/null
run tour import assets/samples/demo-tour.json >/dev/null
run web build --out "$site"
echo "open the website: $disan web serve $site   (then http://127.0.0.1:8000/)"
