#!/usr/bin/env bash
# Makes the colour-management fixtures in this folder from a real photo, with libvips and Little CMS
# (independent of the code under test). Run from anywhere; needs libvips-tools, libimage-exiftool-perl,
# colord-data and ghostscript's ICC profiles (package libgs-common or ghostscript).
#
#   reference.png    the photo in sRGB, 8-bit, 400×300: what every converted derivative should look like
#   adobe-rgb.jpg    8-bit JPEG in Adobe RGB (1998), profile embedded
#   display-p3.jpg   8-bit JPEG in Display P3 (the profile of a real phone/camera photo, photoprism's Iceland-P3.jpg)
#   prophoto-16.tif  16-bit TIFF in ProPhoto RGB
#   adobe-rgb-16.png 16-bit PNG in Adobe RGB (1998)
#   cmyk.jpg         CMYK JPEG with Ghostscript's default CMYK profile embedded
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$here/../../..
testdata=${DISAN_TESTDATA:-$root/../shared/testdata}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
icc=/usr/share/color/icc
vips resize "$root/assets/samples/photos/jolla.jpg" "$tmp/small.v" 0.125 --kernel lanczos3
vips crop "$tmp/small.v" "$tmp/ref.v" 4 3 400 300
vips copy "$tmp/ref.v" "$here/reference.png"
exiftool -q -b -icc_profile "$testdata/photos/photoprism/Iceland-P3.jpg" > "$tmp/p3.icc"
to() { vips icc_transform "$tmp/ref.v" "$1" "$2" --input-profile srgb --intent relative "${@:3}"; }
to "$here/adobe-rgb.jpg[Q=95,strip=false]" "$icc/colord/AdobeRGB1998.icc"
to "$here/display-p3.jpg[Q=95,strip=false]" "$tmp/p3.icc"
to "$here/prophoto-16.tif[compression=deflate,predictor=horizontal]" "$icc/colord/ProPhotoRGB.icc" --depth 16
to "$here/adobe-rgb-16.png" "$icc/colord/AdobeRGB1998.icc" --depth 16
to "$here/cmyk.jpg[Q=95,strip=false]" "$icc/ghostscript/default_cmyk.icc"
# What Little CMS makes of each fixture, converted back to sRGB: the decoder's JPEG loss is in both.
for f in adobe-rgb.jpg display-p3.jpg cmyk.jpg; do
    vips icc_transform "$here/$f" "$here/${f%.*}.lcms.png" srgb --embedded --intent relative
done
