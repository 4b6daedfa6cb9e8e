"""Reads a IIIF Image API 3 level-0 service the way outside clients do, for Disan's end-to-end tests.

    python3 iiif_level0_check.py INFO_JSON_URL

1. iiif-prezi3 (the IIIF consortium's Presentation 3 library) builds a manifest canvas from the info.json
   (its `make_canvas_from_iiif`) and a thumbnail from its `sizes` (`create_thumbnail_from_iiif`); the
   manifest must serialise, and the image and thumbnail URLs it chose must be served.
2. Independently of Disan's code, every tile URL a level-0 client derives from `tiles` and `scaleFactors`
   (Image API 3.0, canonical form: region `full` for the whole image, size `max` for full size) and every
   `sizes` entry is fetched: each must be a JPEG of exactly the size the URL asks for.

Prints one JSON object with what was checked; exits 1 with the reasons on any failure.
"""
import json
import math
import struct
import sys
import urllib.request

from iiif_prezi3 import Manifest


def fetch(url):
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.read()


def jpeg_size(data):
    """(width, height) from a JPEG's SOF segment."""
    if data[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG")
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            raise ValueError("bad marker")
        marker = data[i + 1]
        length = struct.unpack(">H", data[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            h, w = struct.unpack(">HH", data[i + 5:i + 9])
            return w, h
        i += 2 + length
    raise ValueError("no SOF")


def main():
    info_url = sys.argv[1]
    info = json.loads(fetch(info_url))
    errors = []

    manifest = Manifest(id="https://example.org/manifest", label={"en": ["level-0 check"]})
    canvas = manifest.make_canvas_from_iiif(url=info_url, id="https://example.org/canvas/1",
                                            label={"vi": ["Kiểm tra"]})
    canvas.create_thumbnail_from_iiif(info_url, preferred_width=500)
    doc = json.loads(manifest.json())
    if (canvas.width, canvas.height) != (info["width"], info["height"]):
        errors.append(f"prezi3 canvas {canvas.width}x{canvas.height} != info.json")
    image_url = doc["items"][0]["items"][0]["items"][0]["body"]["id"]
    thumb = canvas.thumbnail[0]
    for url, expect in [(image_url, None), (thumb.id, (thumb.width, thumb.height))]:
        try:
            size = jpeg_size(fetch(url))
            if expect and size != expect:
                errors.append(f"{url}: {size} != {expect}")
        except Exception as e:  # noqa: BLE001 - every failure is reported
            errors.append(f"{url}: {e}")

    base = info["id"]
    W, H = info["width"], info["height"]
    urls = []
    for tiles in info["tiles"]:
        tw = tiles["width"]
        th = tiles.get("height", tw)
        for s in tiles["scaleFactors"]:
            for y in range(0, H, th * s):
                for x in range(0, W, tw * s):
                    w, h = min(tw * s, W - x), min(th * s, H - y)
                    sw, sh = math.ceil(w / s), math.ceil(h / s)
                    region = "full" if (x, y, w, h) == (0, 0, W, H) else f"{x},{y},{w},{h}"
                    size = "max" if (sw, sh) == (W, H) else f"{sw},{sh}"
                    urls.append((f"{base}/{region}/{size}/0/default.jpg", (sw, sh)))
    for s in info.get("sizes", []):
        urls.append((f"{base}/full/{s['width']},{s['height']}/0/default.jpg", (s["width"], s["height"])))
    max_w, max_h = info.get("maxWidth", W), info.get("maxHeight", H)
    urls.append((f"{base}/full/max/0/default.jpg", None))
    for url, expect in urls:
        try:
            size = jpeg_size(fetch(url))
            if expect and size != expect:
                errors.append(f"{url}: {size} != {expect}")
            if expect is None and (size[0] > max_w or size[1] > max_h):
                errors.append(f"{url}: {size} beyond maxWidth/maxHeight {max_w}x{max_h}")
        except Exception as e:  # noqa: BLE001
            errors.append(f"{url}: {e}")

    print(json.dumps({"canvas": [canvas.width, canvas.height], "image": image_url, "thumbnail": thumb.id,
                      "urls_checked": len(urls) + 2, "errors": errors}))
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
