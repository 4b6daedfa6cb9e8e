"""Reads Disan's exports with outside libraries, for the end-to-end tests.

    python3 exports_check.py EXPORTS_DIR

1. Every IIIF manifest in iiif/ and iiif/collection.json is parsed and validated by iiif-prezi3 (the IIIF
   consortium's Presentation 3 library, pydantic models of the specification) and serialised back.
   A relic's story (`annotations`: describing annotations targeting a point on the model) is read back.
2. Every schema.org file in jsonld/ is expanded and converted to RDF by PyLD (JSON-LD 1.1). The schema.org
   context is served from a local stub with schema.org's own `@vocab`, since the tests run offline.

Prints one JSON object with what was read; exits 1 with the reasons on any failure.
"""
import json
import pathlib
import re
import sys

from iiif_prezi3 import Collection, Manifest
from pyld import jsonld

SCHEMA = "http://schema.org/"


RIGHTS = re.compile(
    r"^http://(creativecommons\.org/(licenses/[a-z-]+/[0-9.]+|publicdomain/(zero|mark)/1\.0)"
    r"|rightsstatements\.org/vocab/[A-Za-z-]+/1\.0)/$"
)
LANG = re.compile(r"^([a-z]{2,3}(-[A-Za-z0-9]{1,8})*|none)$")


def strict(v, where, kind):
    """Presentation 3 rules iiif-prezi3's models leave unchecked: required properties, language maps."""
    problems = []

    def need(obj, key, at):
        if key not in obj:
            problems.append(f"{at}: no {key}")
        return obj.get(key)

    def lang_map(m, at):
        if not isinstance(m, dict) or not m:
            problems.append(f"{at}: not a language map")
            return
        for k, vals in m.items():
            if not LANG.match(k) or not isinstance(vals, list) or not all(isinstance(x, str) and x for x in vals):
                problems.append(f"{at}: bad entry {k!r}")

    for key in ("id", "type", "label"):
        need(v, key, where)
    if v.get("type") != kind:
        problems.append(f"{where}: type {v.get('type')!r}, expected {kind}")
    if not str(v.get("id", "")).startswith(("http://", "https://")):
        problems.append(f"{where}: id is not an http(s) URI")
    lang_map(v.get("label"), f"{where}.label")
    for key in ("summary",):
        if key in v:
            lang_map(v[key], f"{where}.{key}")
    for i, md in enumerate(v.get("metadata", [])):
        lang_map(md.get("label"), f"{where}.metadata[{i}].label")
        lang_map(md.get("value"), f"{where}.metadata[{i}].value")
    if "rights" in v and not RIGHTS.match(v["rights"]):
        problems.append(f"{where}: rights {v['rights']!r} is not a CC or RightsStatements.org URI")
    for t in v.get("thumbnail", []):
        for key in ("id", "type", "format"):
            need(t, key, f"{where}.thumbnail")
    if kind == "Manifest":
        if not v.get("items"):
            problems.append(f"{where}: no canvases")
        for c in v.get("items", []):
            for key in ("id", "type", "width", "height", "items"):
                need(c, key, f"{where}.canvas")
            if not (isinstance(c.get("width"), int) and c["width"] > 0 and isinstance(c.get("height"), int) and c["height"] > 0):
                problems.append(f"{where}.canvas: width and height must be positive integers")
            for page in c.get("items", []):
                for a in page.get("items", []):
                    for key in ("id", "type", "motivation", "body", "target"):
                        need(a, key, f"{where}.annotation")
                    if a.get("target") != c.get("id"):
                        problems.append(f"{where}.annotation: target is not its canvas")
                    body = a.get("body", {})
                    for key in ("id", "type", "format"):
                        need(body, key, f"{where}.body")
                    for s in body.get("service", []):
                        if s.get("type") != "ImageService3" or s.get("profile") not in ("level0", "level1", "level2"):
                            problems.append(f"{where}.body.service: {s}")
    return problems


def loader(url, options=None):
    if url.rstrip("/") in ("https://schema.org", "http://schema.org"):
        return {
            "contentType": "application/ld+json",
            "contextUrl": None,
            "documentUrl": url,
            "document": {"@context": {"@vocab": SCHEMA, "schema": SCHEMA}},
        }
    raise ValueError(f"offline: will not fetch {url}")


def main(root):
    root = pathlib.Path(root)
    out = {"manifests": {}, "collection": None, "jsonld": {}}
    problems = []
    for path in sorted((root / "iiif").glob("*.json")):
        text = path.read_text(encoding="utf-8")
        try:
            problems.extend(
                strict(json.loads(text), path.name, "Collection" if path.name == "collection.json" else "Manifest")
            )
            if path.name == "collection.json":
                c = Collection.model_validate_json(text)
                out["collection"] = {"items": len(c.items), "label": json.loads(c.json())["label"]}
            else:
                m = Manifest.model_validate_json(text)
                back = json.loads(m.json())
                body = back["items"][0]["items"][0]["items"][0]["body"]
                out["manifests"][path.stem] = {
                    "label": back["label"],
                    "rights": back.get("rights"),
                    "summary": back.get("summary"),
                    "body": body["id"],
                    "service": [s["id"] for s in body.get("service", [])],
                    "thumbnail": [t["id"] for t in back.get("thumbnail", [])],
                    "rendering": [r["format"] for r in back.get("rendering", [])],
                    # A relic's story, as iiif-prezi3 serialised it back: id, label, point, bodies.
                    "annotations": [
                        {
                            "id": a["id"],
                            "motivation": a["motivation"],
                            "label": a.get("label"),
                            "source": a["target"]["source"]["id"],
                            "point": [a["target"]["selector"][0][k] for k in ("x", "y", "z")],
                            "bodies": [
                                {k: b.get(k) for k in ("type", "language", "value", "format", "id", "duration")}
                                for b in a.get("body", [])
                            ],
                        }
                        for page in back.get("annotations", [])
                        for a in page["items"]
                    ],
                }
        except Exception as e:  # noqa: BLE001 - report every file
            problems.append(f"{path.name}: {e}")
    for path in sorted((root / "jsonld").glob("*.jsonld")):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            expanded = jsonld.expand(doc, {"documentLoader": loader})
            if len(expanded) != 1:
                raise ValueError(f"expands to {len(expanded)} nodes")
            node = expanded[0]
            nquads = jsonld.to_rdf(doc, {"documentLoader": loader, "format": "application/n-quads"})
            geo = node.get(SCHEMA + "geo", [{}])[0]
            out["jsonld"][path.stem] = {
                "types": node["@type"],
                "names": {v["@language"]: v["@value"] for v in node.get(SCHEMA + "name", []) if "@language" in v},
                "latitude": geo.get(SCHEMA + "latitude", [{}])[0].get("@value"),
                "languages": [v["@value"] for v in node.get(SCHEMA + "availableLanguage", [])],
                "images": len(node.get(SCHEMA + "image", [])),
                "triples": nquads.count("\n"),
                "comments": nquads.count("<http://schema.org/Comment>"),
            }
        except Exception as e:  # noqa: BLE001
            problems.append(f"{path.name}: {e}")
    print(json.dumps(out, ensure_ascii=False))
    if problems:
        print("\n".join(problems), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main(sys.argv[1])
