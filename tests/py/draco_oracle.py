"""Google's Draco decoder (PyPI DracoPy, which wraps google/draco) as an independent oracle.

Usage: draco_oracle.py MODEL.gltf|MODEL.glb
Prints JSON: one entry per Draco-compressed primitive, in mesh and primitive order, with the decoded
points (positions), faces, and the other attributes DracoPy exposes (normals, texture coordinates, colours),
each per point, as glTF means them: where the primitive's accessor is a normalised integer
(KHR_mesh_quantization), the integers Draco stores are normalised as glTF says (int / max, at least -1).
Reads buffers from the GLB BIN chunk or from files next to the model.
"""
import json
import os
import struct
import sys

import DracoPy
import numpy as np


def load(path):
    data = open(path, "rb").read()
    if data[:4] == b"glTF":
        off, doc, bin_chunk = 12, None, None
        while off + 8 <= len(data):
            length, kind = struct.unpack_from("<II", data, off)
            chunk = data[off + 8 : off + 8 + length]
            if kind == 0x4E4F534A:
                doc = json.loads(chunk)
            elif kind == 0x004E4942:
                bin_chunk = chunk
            off += 8 + length
        return doc, [bin_chunk if "uri" not in b else read_uri(path, b["uri"]) for b in doc.get("buffers", [])]
    doc = json.loads(data)
    return doc, [read_uri(path, b["uri"]) for b in doc.get("buffers", [])]


def read_uri(model, uri):
    return open(os.path.join(os.path.dirname(model), uri), "rb").read()


GLTF_NAMES = {"points": "POSITION", "normals": "NORMAL", "tex_coord": "TEXCOORD_0", "colors": "COLOR_0"}
NORMALISED_MAX = {5120: 127.0, 5121: 255.0, 5122: 32767.0, 5123: 65535.0}


def normalised(rows, accessor):
    scale = NORMALISED_MAX.get(accessor["componentType"]) if accessor.get("normalized") else None
    if scale is None:
        return rows
    return [[float(np.float32(max(v / scale, -1.0))) for v in row] for row in rows]


def main():
    doc, buffers = load(sys.argv[1])
    out = []
    for mesh in doc.get("meshes", []):
        for prim in mesh["primitives"]:
            ext = prim.get("extensions", {}).get("KHR_draco_mesh_compression")
            if ext is None:
                continue
            view = doc["bufferViews"][ext["bufferView"]]
            buf = buffers[view["buffer"]]
            start = view.get("byteOffset", 0)
            stream = buf[start : start + view["byteLength"]]
            m = DracoPy.decode(stream)
            entry = {
                "points": m.points.tolist(),
                "faces": m.faces.tolist(),
            }
            for name in ("normals", "tex_coord", "colors"):
                value = getattr(m, name, None)
                if value is not None and len(value):
                    entry[name] = value.tolist()
            for name, semantic in GLTF_NAMES.items():
                if name in entry and semantic in prim["attributes"]:
                    entry[name] = normalised(entry[name], doc["accessors"][prim["attributes"][semantic]])
            out.append(entry)
    json.dump(out, sys.stdout)


main()
