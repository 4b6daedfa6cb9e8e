// Makes assets/web/land/land-vn.json from npm world-atlas 2.0.2 (Natural Earth 1:10m land, public domain):
// land only (no boundaries), clipped to the box around Vietnam and its islands, simplified, with three
// islands that Natural Earth lacks (Bạch Long Vĩ, Lý Sơn, Thổ Chu) added as small outlines.
// Also, with `world` as argument, the whole world's land at 1:110m (land-world.json), drawn around the box.
// Run by hand: `npm install world-atlas@2.0.2 topojson-client@3 && node make-land.cjs > land-vn.json &&
// node make-land.cjs world > land-world.json`.
const WORLD = process.argv[2] === 'world';
const topo = require(WORLD ? 'world-atlas/land-110m.json' : 'world-atlas/land-10m.json');
const { feature } = require('topojson-client');
const VN = { w: 100, e: 118, s: 6, n: 24.5 };
const BOX = WORLD ? { w: -180, e: 180, s: -85, n: 85 } : VN;
// The world file leaves the Vietnam box out (cut into the four rectangles around it), so the two files never
// overlap; segments along these lines are cuts, not coasts, and renderers do not stroke them.
const AROUND = [
  { w: -180, e: VN.w, s: -85, n: 85 }, { w: VN.e, e: 180, s: -85, n: 85 },
  { w: VN.w, e: VN.e, s: -85, n: VN.s }, { w: VN.w, e: VN.e, s: VN.n, n: 85 },
];
const TOL = WORLD ? 0.05 : 0.008; // degrees (~900 m): Douglas-Peucker tolerance

// Sutherland-Hodgman against a rectangle {w, e, s, n}.
function clip(ring, box) {
  box = box || BOX;
  const edges = [
    [p => p[0] >= box.w, (a, b) => at(a, b, 0, box.w)],
    [p => p[0] <= box.e, (a, b) => at(a, b, 0, box.e)],
    [p => p[1] >= box.s, (a, b) => at(a, b, 1, box.s)],
    [p => p[1] <= box.n, (a, b) => at(a, b, 1, box.n)],
  ];
  let out = ring;
  for (const [inside, cut] of edges) {
    const src = out; out = [];
    for (let i = 0; i < src.length; i++) {
      const a = src[i], b = src[(i + 1) % src.length];
      if (inside(b)) { if (!inside(a)) out.push(cut(a, b)); out.push(b); }
      else if (inside(a)) out.push(cut(a, b));
    }
    if (!out.length) return out;
  }
  return out;
}
function at(a, b, k, v) { const t = (v - a[k]) / (b[k] - a[k]); return [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])]; }
function dp(pts) {
  if (pts.length < 3) return pts;
  const keep = new Uint8Array(pts.length); keep[0] = keep[pts.length - 1] = 1;
  const stack = [[0, pts.length - 1]];
  while (stack.length) {
    const [i, j] = stack.pop(); let best = -1, d = 0;
    const [ax, ay] = pts[i], [bx, by] = pts[j], dx = bx - ax, dy = by - ay, len = Math.hypot(dx, dy) || 1e-12;
    for (let k = i + 1; k < j; k++) {
      const e = Math.abs((pts[k][0] - ax) * dy - (pts[k][1] - ay) * dx) / len;
      if (e > d) { d = e; best = k; }
    }
    if (d > TOL) { keep[best] = 1; stack.push([i, best], [best, j]); }
  }
  return pts.filter((_, k) => keep[k]);
}
function island(lat, lon, rx, ry) { // a small ellipse, radii in km
  const pts = [];
  for (let k = 0; k < 10; k++) {
    const a = (k / 10) * 2 * Math.PI;
    pts.push([lon + (rx / (111.32 * Math.cos(lat * Math.PI / 180))) * Math.cos(a), lat + (ry / 110.57) * Math.sin(a)]);
  }
  return pts;
}
const rings = [];
for (const f of feature(topo, topo.objects.land).features) {
  const polys = f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates;
  for (const poly of polys) {
    const outer = poly[0].slice(0, -1);
    for (const box of WORLD ? AROUND : [BOX]) {
      const c = clip(outer, box);
      if (c.length < 3) continue;
      const s = dp(c.concat([c[0]])).slice(0, -1);
      rings.push(s.length >= 3 ? s : c); // a small island survives simplification as it was
    }
  }
}
// Natural Earth 1:10m leaves these inhabited Vietnamese islands out.
if (!WORLD) {
  rings.push(island(20.133, 107.727, 1.2, 0.9)); // Bạch Long Vĩ
  rings.push(island(15.381, 109.12, 2.4, 1.3)); // Lý Sơn
  rings.push(island(9.298, 103.478, 2.0, 3.0)); // Thổ Chu
}
const q = r => r.map(([x, y]) => [Math.round(x * 1000) / 1000, Math.round(y * 1000) / 1000]);
process.stdout.write(JSON.stringify({
  source: WORLD ? 'Natural Earth 1:110m land (public domain), via npm world-atlas 2.0.2; simplified by make-land.cjs' : 'Natural Earth 1:10m land (public domain), via npm world-atlas 2.0.2; clipped and simplified by make-land.cjs; Bạch Long Vĩ, Lý Sơn and Thổ Chu added',
  bbox: [BOX.w, BOX.s, BOX.e, BOX.n],
  cut_lon: [-180, VN.w, VN.e, 180],
  cut_lat: [-85, VN.s, VN.n, 85],
  rings: rings.map(q),
}) + '\n');
