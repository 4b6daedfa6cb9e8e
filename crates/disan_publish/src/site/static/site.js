// Disan website: everything the pages do, without a server and without any remote script.
'use strict';
(function () {
  var me = document.currentScript;
  var staticBase = me ? new URL('.', me.src).href : '';
  // <model-viewer> reads where its decoders are when it loads: point it at this site's own copies (no CDN).
  self.ModelViewerElement = Object.assign(self.ModelViewerElement || {}, {
    dracoDecoderLocation: staticBase + 'draco/',
    ktx2TranscoderLocation: staticBase + 'basis/',
    lottieLoaderLocation: staticBase + 'lottie/LottieLoader.js'
  });

  // The catalogue's folding: decomposed, marks dropped, lower case, đ as d ("Hạ Long" → "ha long").
  function fold(s) {
    return s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/đ/g, 'd');
  }
  window.disanFold = fold;

  function json(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  // After every deferred script (the viewers come after this one) has run.
  function ready(fn) {
    if (document.readyState === 'complete') fn(); else document.addEventListener('DOMContentLoaded', fn);
  }

  ready(function () {
    shareButtons();
    var zoom = document.getElementById('zoom');
    if (zoom && window.OpenSeadragon) deepZoom(zoom);
    var pano = json('pano-config');
    if (pano && window.pannellum) window.disanViewer = pannellum.viewer('pano', pano);
    var tour = json('tour-config');
    if (tour && window.pannellum) {
      var scene = decodeURIComponent(location.hash.slice(1));
      if (scene && tour.scenes[scene]) tour['default'].firstScene = scene;
      window.disanViewer = pannellum.viewer('tour', tour);
      var steps = json('guide-steps');
      if (steps && steps.length && window.disanGuidePlayer) window.disanGuidePlayer(window.disanViewer, steps);
    }
    var model = document.getElementById('model');
    if (model) fullModelAfterFirst(model);
    var story = document.getElementById('story');
    if (model && story) storyPlayer(model, story);
    var results = document.getElementById('results');
    if (results) search(results);
    Array.prototype.forEach.call(document.querySelectorAll('.map'), map);
  });

  function shareButtons() {
    Array.prototype.forEach.call(document.querySelectorAll('.share-copy'), function (b) {
      b.addEventListener('click', function () {
        var status = b.closest('.share').querySelector('.share-status');
        var done = function () { status.textContent = b.dataset.done; };
        if (navigator.clipboard && navigator.clipboard.writeText) {
          navigator.clipboard.writeText(b.dataset.url).then(done, function () { status.textContent = b.dataset.url; });
        } else {
          status.textContent = b.dataset.url;
        }
      });
    });
    Array.prototype.forEach.call(document.querySelectorAll('.share-device'), function (b) {
      if (!navigator.share) return;
      b.hidden = false;
      b.addEventListener('click', function () {
        navigator.share({ title: document.title, url: b.dataset.url }).catch(function () {});
      });
    });
  }

  // Deep zoom: the IIIF level-0 service of this site. Its info.json names the public URL; tiles are asked
  // for beside the info.json this page reached, so a preview on another host works too.
  function deepZoom(el) {
    var infoUrl = new URL(el.dataset.info, location.href);
    fetch(infoUrl).then(function (r) { return r.json(); }).then(function (info) {
      var here = infoUrl.href.replace(/\/info\.json$/, '');
      if (info.id) info.id = here; else info['@id'] = here;
      var viewer = OpenSeadragon({
        element: el,
        prefixUrl: el.dataset.prefix,
        tileSources: info,
        showNavigator: false,
        showRotationControl: false,
        crossOriginPolicy: false
      });
      viewer.addHandler('open', function () {
        var img = el.querySelector('img.photo');
        if (img) img.remove();
        var canvas = el.querySelector('.openseadragon-canvas');
        canvas.setAttribute('role', 'application');
        canvas.setAttribute('aria-label', el.dataset.label);
      });
      window.disanZoom = viewer;
    });
  }

  // The light level of detail first, then the full model once the first is shown.
  function fullModelAfterFirst(mv) {
    var swapped = false;
    mv.addEventListener('load', function () {
      if (!swapped && mv.dataset.full && mv.getAttribute('src') !== mv.dataset.full) {
        swapped = true;
        mv.setAttribute('src', mv.dataset.full);
      } else {
        mv.dataset.loaded = 'full';
      }
    });
  }

  // A relic's story: each title flies the camera to the annotation's saved view (model-viewer eases it);
  // previous/next walk the story, "whole relic" returns to the first view; a pin opens its annotation.
  // model-viewer hides pins that face away (data-visible); pins behind another part of the surface are hidden
  // too, by a ray cast through the pin's pixel that meets the model before the pin.
  function storyPlayer(mv, section) {
    var items = Array.prototype.slice.call(section.querySelectorAll('.story-list > li'));
    var pins = Array.prototype.slice.call(mv.querySelectorAll('.pin'));
    var status = section.querySelector('.story-status');
    var home = null;
    var current = -1;
    function go(i) {
      if (home === null) home = { orbit: mv.getCameraOrbit().toString(), target: mv.getCameraTarget().toString(), fov: mv.getFieldOfView() + 'deg' };
      current = i;
      var li = items[i];
      mv.cameraOrbit = li.dataset.orbit;
      mv.cameraTarget = li.dataset.target;
      mv.fieldOfView = li.dataset.fov;
      items.forEach(function (x, k) { if (k === i) x.setAttribute('aria-current', 'step'); else x.removeAttribute('aria-current'); });
      pins.forEach(function (p) { p.classList.toggle('active', p.dataset.annotation === li.dataset.annotation); });
      var title = li.querySelector('.story-go').textContent.replace(/^\s*\d+\s*/, '');
      status.textContent = section.dataset.status.replace('{n}', i + 1).replace('{total}', items.length).replace('{title}', title);
    }
    items.forEach(function (li, i) {
      li.querySelector('.story-go').addEventListener('click', function () { go(i); });
    });
    pins.forEach(function (p) {
      p.addEventListener('click', function () {
        var i = items.findIndex(function (li) { return li.dataset.annotation === p.dataset.annotation; });
        if (i >= 0) { go(i); items[i].querySelector('.story-go').focus({ preventScroll: true }); }
      });
    });
    section.querySelector('.story-next').addEventListener('click', function () { go((current + 1) % items.length); });
    section.querySelector('.story-prev').addEventListener('click', function () { go((current - 1 + items.length) % items.length); });
    section.querySelector('.story-all').addEventListener('click', function () {
      if (home === null) return;
      mv.cameraOrbit = home.orbit; mv.cameraTarget = home.target; mv.fieldOfView = home.fov;
      current = -1;
      items.forEach(function (x) { x.removeAttribute('aria-current'); });
      pins.forEach(function (p) { p.classList.remove('active'); });
      status.textContent = '';
    });
    var pending = false;
    function occlusion() {
      pending = false;
      var rect = mv.getBoundingClientRect();
      var size = mv.getDimensions();
      var tol = Math.max(size.x, size.y, size.z) * 0.01;
      pins.forEach(function (p) {
        var q = mv.queryHotspot(p.slot);
        if (!q) return;
        var hit = mv.positionAndNormalFromPoint(rect.left + q.canvasPosition.x, rect.top + q.canvasPosition.y);
        var hidden = !!hit && Math.hypot(hit.position.x - q.position.x, hit.position.y - q.position.y, hit.position.z - q.position.z) > tol;
        p.classList.toggle('occluded', hidden);
      });
    }
    function later() { if (!pending) { pending = true; requestAnimationFrame(occlusion); } }
    mv.addEventListener('camera-change', later);
    mv.addEventListener('load', later);
    window.disanStory = { go: go, occlusion: occlusion };
  }

  function search(results) {
    var input = document.getElementById('q');
    var status = document.getElementById('search-status');
    var root = new URL(results.dataset.index, location.href);
    var items = null;
    var q = new URLSearchParams(location.search).get('q');
    if (q) input.value = q;
    fetch(root).then(function (r) { return r.json(); }).then(function (all) {
      items = all;
      run();
    });
    input.addEventListener('input', run);
    input.closest('form').addEventListener('submit', function (e) {
      e.preventDefault();
      history.replaceState(null, '', '?q=' + encodeURIComponent(input.value));
      run();
    });
    function terms(s) {
      var out = [];
      fold(s).split(/[^\p{L}\p{N}]+/u).forEach(function (w) {
        if (w) out.push(w);
      });
      return out;
    }
    function has(text, term) {
      if (/[\u2E80-\u9FFF\uF900-\uFAFF]/.test(term)) return text.indexOf(term) >= 0;
      var i = text.indexOf(term);
      while (i >= 0) {
        if (i === 0 || /[^\p{L}\p{N}]/u.test(text[i - 1])) return true;
        i = text.indexOf(term, i + 1);
      }
      return false;
    }
    function run() {
      if (!items) return;
      var query = input.value.trim();
      results.textContent = '';
      if (!query) { status.textContent = ''; return; }
      var ts = terms(query), fq = fold(query);
      var hits = [];
      items.forEach(function (it) {
        if (!ts.every(function (t) { return has(it.f, t); })) return;
        var tier = it.n === fq ? 0 : it.n.indexOf(fq) === 0 ? 1 : ts.every(function (t) { return has(it.n, t); }) ? 2 : 3;
        hits.push([tier, it]);
      });
      hits.sort(function (a, b) { return a[0] - b[0] || a[1].t.localeCompare(b[1].t); });
      status.textContent = hits.length ? results.dataset.results.replace('{n}', hits.length) : results.dataset.none;
      var base = new URL('.', root);
      hits.slice(0, 200).forEach(function (h) {
        var it = h[1];
        var li = document.createElement('li'); li.className = 'card';
        var a = document.createElement('a'); a.href = new URL(it.u, base).href;
        if (it.i) {
          var img = document.createElement('img');
          img.src = new URL('../' + it.i, base).href; img.alt = ''; img.loading = 'lazy';
          a.appendChild(img);
        } else {
          var span = document.createElement('span'); span.className = 'noimg'; a.appendChild(span);
        }
        var t = document.createElement('span'); t.className = 'card-title'; t.textContent = it.t; a.appendChild(t);
        var k = document.createElement('span'); k.className = 'card-kind'; k.textContent = it.k; a.appendChild(k);
        li.appendChild(a); results.appendChild(li);
      });
    }
  }

  // The offline map: land from the bundled outlines (the world at 1:110m, Vietnam and its islands at 1:10m),
  // the sites as points; drag to pan, wheel or +/- to zoom, arrows to pan from the keyboard.
  function map(el) {
    var canvas = el.querySelector('canvas');
    var sites = JSON.parse(el.querySelector('.map-data').textContent);
    var land = [];
    var cutLon = [], cutLat = [];
    function isCut(a, b) {
      return cutLon.some(function (x) { return a[0] === x && b[0] === x; }) ||
        cutLat.some(function (y) { return a[1] === y && b[1] === y; });
    }
    var view = null;
    var ctx = canvas.getContext('2d');
    var state = { ready: false, rings: 0, sites: sites.length };
    (window.disanMaps = window.disanMaps || []).push(state);
    function fit() {
      var w = 100, e = 118, s = 6, n = 24.5;
      if (sites.length) {
        w = Infinity; e = -Infinity; s = Infinity; n = -Infinity;
        sites.forEach(function (p) { w = Math.min(w, p.lon); e = Math.max(e, p.lon); s = Math.min(s, p.lat); n = Math.max(n, p.lat); });
        var pad = Math.max(2, Math.max(e - w, n - s) * 0.15);
        w -= pad; e += pad; s -= pad; n += pad;
      }
      var clat = (s + n) / 2, k = Math.cos(clat * Math.PI / 180);
      var cw = canvas.clientWidth || 300, ch = canvas.clientHeight || 200;
      view = { lon: (w + e) / 2, lat: clat, scale: Math.min(cw / ((e - w) * k), ch / (n - s)) };
    }
    function project(lon, lat, w, h) {
      var k = Math.cos(view.lat * Math.PI / 180);
      return [(lon - view.lon) * k * view.scale + w / 2, (view.lat - lat) * view.scale + h / 2];
    }
    function draw() {
      var dpr = window.devicePixelRatio || 1;
      var w = canvas.clientWidth, h = canvas.clientHeight;
      if (!w || !h) return;
      if (canvas.width !== Math.round(w * dpr)) { canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr); }
      if (!view) fit();
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.fillStyle = '#cfe3ee'; ctx.fillRect(0, 0, w, h);
      ctx.fillStyle = '#f4f0e4';
      land.forEach(function (ring) {
        var pts = ring.map(function (p) { return project(p[0], p[1], w, h); });
        ctx.beginPath();
        pts.forEach(function (xy, i) { if (i) ctx.lineTo(xy[0], xy[1]); else ctx.moveTo(xy[0], xy[1]); });
        ctx.closePath(); ctx.fill();
        // Coasts only: a segment along a cut line (where the outlines were cut into pieces) is not a coast;
        // it is painted over in the land's colour, so the pieces join without a seam.
        var coast = new Path2D(), cut = new Path2D();
        for (var i = 0; i < ring.length; i++) {
          var j = (i + 1) % ring.length, path = isCut(ring[i], ring[j]) ? cut : coast;
          path.moveTo(pts[i][0], pts[i][1]); path.lineTo(pts[j][0], pts[j][1]);
        }
        ctx.lineWidth = 1.5; ctx.strokeStyle = '#f4f0e4'; ctx.stroke(cut);
        ctx.lineWidth = 0.8; ctx.strokeStyle = '#8a9a7b'; ctx.stroke(coast);
      });
      ctx.font = '13px system-ui, sans-serif';
      sites.forEach(function (p) {
        var xy = project(p.lon, p.lat, w, h);
        ctx.beginPath(); ctx.arc(xy[0], xy[1], 6, 0, 2 * Math.PI);
        ctx.fillStyle = '#b03a2e'; ctx.fill(); ctx.lineWidth = 2; ctx.strokeStyle = '#fff'; ctx.stroke();
        ctx.lineWidth = 3; ctx.strokeStyle = 'rgba(255,255,255,0.9)'; ctx.strokeText(p.name, xy[0] + 9, xy[1] + 4);
        ctx.fillStyle = '#1b1b1b'; ctx.fillText(p.name, xy[0] + 9, xy[1] + 4);
      });
    }
    function zoom(f, cx, cy) {
      var w = canvas.clientWidth, h = canvas.clientHeight, k = Math.cos(view.lat * Math.PI / 180);
      if (cx === undefined) { cx = w / 2; cy = h / 2; }
      var lon = view.lon + (cx - w / 2) / (k * view.scale), lat = view.lat - (cy - h / 2) / view.scale;
      view.scale = Math.max(0.5, Math.min(200000, view.scale * f));
      view.lon = lon - (cx - w / 2) / (k * view.scale); view.lat = lat + (cy - h / 2) / view.scale;
      draw();
    }
    function pan(dx, dy) {
      var k = Math.cos(view.lat * Math.PI / 180);
      view.lon -= dx / (k * view.scale); view.lat += dy / view.scale;
      view.lat = Math.max(-85, Math.min(85, view.lat));
      draw();
    }
    var drag = null;
    canvas.addEventListener('pointerdown', function (e) { drag = { x: e.clientX, y: e.clientY, moved: false }; canvas.setPointerCapture(e.pointerId); });
    canvas.addEventListener('pointermove', function (e) {
      if (!drag) return;
      var dx = e.clientX - drag.x, dy = e.clientY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 2) drag.moved = true;
      drag.x = e.clientX; drag.y = e.clientY; pan(dx, dy);
    });
    canvas.addEventListener('pointerup', function (e) {
      var d = drag; drag = null;
      if (!d || d.moved) return;
      var r = canvas.getBoundingClientRect();
      var hit = sites.filter(function (p) {
        var xy = project(p.lon, p.lat, r.width, r.height);
        return Math.hypot(xy[0] - (e.clientX - r.left), xy[1] - (e.clientY - r.top)) < 12;
      })[0];
      if (hit) location.href = new URL(hit.url, location.href).href;
    });
    canvas.addEventListener('wheel', function (e) {
      e.preventDefault();
      var r = canvas.getBoundingClientRect();
      zoom(e.deltaY < 0 ? 1.25 : 0.8, e.clientX - r.left, e.clientY - r.top);
    }, { passive: false });
    canvas.addEventListener('keydown', function (e) {
      var step = 60, keys = { ArrowLeft: [step, 0], ArrowRight: [-step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
      if (keys[e.key]) { pan(keys[e.key][0], keys[e.key][1]); e.preventDefault(); }
      else if (e.key === '+' || e.key === '=') { zoom(1.4); e.preventDefault(); }
      else if (e.key === '-' || e.key === '_') { zoom(1 / 1.4); e.preventDefault(); }
      else if (e.key === '0') { fit(); draw(); e.preventDefault(); }
    });
    el.querySelector('.map-in').addEventListener('click', function () { zoom(1.4); });
    el.querySelector('.map-out').addEventListener('click', function () { zoom(1 / 1.4); });
    el.querySelector('.map-reset').addEventListener('click', function () { fit(); draw(); });
    if (window.ResizeObserver) new ResizeObserver(function () { draw(); }).observe(canvas);
    draw();
    // The outlines (about 200 KB) are fetched when the map comes into view.
    function loadLand() {
      Promise.all(['land-world.json', 'land-vn.json'].map(function (f) {
        return fetch(new URL(f, new URL(el.dataset.land, location.href))).then(function (r) { return r.json(); });
      })).then(function (files) {
        land = files[0].rings.concat(files[1].rings);
        cutLon = files[0].cut_lon || []; cutLat = files[0].cut_lat || [];
        state.rings = land.length; state.ready = true;
        draw();
      });
    }
    if (window.IntersectionObserver) {
      var io = new IntersectionObserver(function (entries) {
        if (entries.some(function (x) { return x.isIntersecting; })) { io.disconnect(); loadLand(); }
      });
      io.observe(el);
    } else {
      loadLand();
    }
  }
})();
