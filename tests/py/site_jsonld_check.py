"""Reads the JSON-LD blocks of every page of a Disan website with PyLD (JSON-LD 1.1).

Usage: python3 site_jsonld_check.py BLOCKS.json, where BLOCKS.json maps each page URL to the texts of its
`<script type="application/ld+json">` blocks. Every block is parsed, expanded and converted to RDF; prints
JSON: per page, the expanded `@type`s, `inLanguage`, `name`, and the geo coordinates of the page's place
(its own, or its `contentLocation`'s). Exits 1 with the problems when a block does not parse or expand.
"""
import json
import sys

from pyld import jsonld

SCHEMA = "http://schema.org/"


def loader(url, options=None):
    if url.rstrip("/") in ("https://schema.org", "http://schema.org"):
        return {
            "contentType": "application/ld+json",
            "contextUrl": None,
            "documentUrl": url,
            "document": {"@context": {"@vocab": SCHEMA, "schema": SCHEMA}},
        }
    raise ValueError(f"offline: will not fetch {url}")


def value(node, key):
    v = node.get(SCHEMA + key)
    if not v:
        return None
    v = v[0]
    return v.get("@value", v.get("@id", v))


def geo(node):
    g = node.get(SCHEMA + "geo")
    if not g:
        return None
    return [value(g[0], "latitude"), value(g[0], "longitude")]


def main(path):
    pages = json.load(open(path, encoding="utf-8"))
    out, problems = {}, []
    for url, blocks in pages.items():
        for text in blocks:
            try:
                doc = json.loads(text)
                expanded = jsonld.expand(doc, {"documentLoader": loader})
                jsonld.to_rdf(doc, {"documentLoader": loader, "format": "application/n-quads"})
            except Exception as e:  # noqa: BLE001 - every failure is a finding
                problems.append(f"{url}: {e}")
                continue
            node = expanded[0]
            place = node
            if SCHEMA + "contentLocation" in node:
                place = node[SCHEMA + "contentLocation"][0]
            out[url] = {
                "types": node.get("@type", []),
                "inLanguage": value(node, "inLanguage"),
                "name": value(node, "name"),
                "place_types": place.get("@type", []),
                "geo": geo(place),
                "image": value(node, "image"),
            }
    if problems:
        print("\n".join(problems), file=sys.stderr)
        sys.exit(1)
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1])
