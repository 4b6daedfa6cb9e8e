"""Reads a PLY with plyfile (an independent reader, PyPI) and prints what Disan must find in it as JSON:
the vertices' named properties, each face's vertex indices and per-corner texture coordinates, the comments.
The oracle for crates/disan_model/tests/parts/ply.rs."""
import json
import sys

from plyfile import PlyData

ply = PlyData.read(sys.argv[1])
out = {"vertices": {}, "faces": [], "texcoords": [], "comments": list(ply.comments)}
vertex = ply["vertex"]
for name in vertex.data.dtype.names:
    out["vertices"][name] = [float(v) for v in vertex[name]]
if "face" in [e.name for e in ply.elements]:
    face = ply["face"]
    names = face.data.dtype.names
    index = "vertex_indices" if "vertex_indices" in names else "vertex_index"
    out["faces"] = [[int(i) for i in f] for f in face[index]]
    if "texcoord" in names:
        out["texcoords"] = [[float(t) for t in f] for f in face["texcoord"]]
print(json.dumps(out))
