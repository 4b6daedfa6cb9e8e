// Checks a website built by `disan web build` in Debian's headless Chromium (puppeteer-core), served by
// `disan web serve`: crawls every page and every internal link and resource, records console errors and
// failed requests, runs axe-core, tries the language switch, the search and each viewer, takes screenshots,
// and collects the JSON-LD and hreflang alternates of every page.
//
// Usage: node site-check.cjs BASE_URL OUT_DIR CHECKS_JSON
//   CHECKS_JSON: {"search": {"lang": "vi", "query": "…", "expect": "…"}, "axe": [paths], "shots": [paths],
//                 "viewers": {"pano": path, "zoom": path, "model": path, "marzipano": path}, "switch": path}
// Prints one JSON report on stdout.
'use strict';
const fs = require('fs');
const path = require('path');
const { launch } = require('./browser.cjs');

const [base, outDir, checksJson] = process.argv.slice(2);
const checks = JSON.parse(checksJson || '{}');
const origin = new URL(base).origin;

async function main() {
  const browser = await launch();
  const report = { pages: {}, errors: [], failed: [], external: [], links: 0, resources: 0, axe: {}, shots: [], jsonld: {}, alternates: {}, checks: {} };
  try {
    await crawl(browser, report);
    await resources(report);
    if (checks.axe) await axe(browser, report, checks.axe);
    if (checks.search) report.checks.search = await search(browser, checks.search);
    if (checks.switch) report.checks.switch = await langSwitch(browser, checks.switch);
    if (checks.viewers) report.checks.viewers = await viewers(browser, checks.viewers);
    if (checks.shots) await shots(browser, report, checks.shots);
    if (checks.pdf) report.checks.pdf = await pdf(browser, checks.pdf);
    report.dialogs = dialogs;
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(report) + '\n');
}

async function newPage(browser, report, width, height) {
  const page = await browser.newPage();
  await page.setViewport({ width: width || 1440, height: height || 900 });
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning' && /Content Security Policy|Refused/.test(m.text())) {
      report && report.errors.push({ page: page.url(), text: m.text() });
    }
  });
  page.on('pageerror', (e) => report && report.errors.push({ page: page.url(), text: String(e) }));
  // A script that a title smuggled in would open a dialog: count them, and close them.
  page.on('dialog', (d) => { dialogs.push(page.url()); d.dismiss().catch(() => {}); });
  page.on('requestfailed', (r) => {
    // A request the page itself stopped (a viewer dropping tiles it no longer needs) is not a failure.
    const why = r.failure() && r.failure().errorText;
    if (why === 'net::ERR_ABORTED') return;
    report && report.failed.push({ page: page.url(), url: r.url(), why });
  });
  page.on('response', (r) => {
    if (r.status() >= 400) report && report.failed.push({ page: page.url(), url: r.url(), status: r.status() });
  });
  page.on('request', (r) => {
    if (!r.url().startsWith(origin) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) {
      report && report.external.push({ page: page.url(), url: r.url() });
    }
  });
  return page;
}

const seenResources = new Set();
const dialogs = [];

async function crawl(browser, report) {
  const queue = [base + '/'];
  const seen = new Set(queue);
  const page = await newPage(browser, report);
  while (queue.length) {
    const url = queue.shift();
    const resp = await page.goto(url, { waitUntil: 'load', timeout: 60000 });
    await new Promise((r) => setTimeout(r, 300));
    const info = await page.evaluate(() => {
      const abs = (u) => new URL(u, location.href).href;
      const links = Array.from(document.querySelectorAll('a[href]')).map((a) => abs(a.getAttribute('href')));
      const res = [];
      document.querySelectorAll('img[src], script[src], link[href], model-viewer[src], model-viewer[poster], [data-full], [data-info]').forEach((e) => {
        for (const a of ['src', 'href', 'poster', 'data-full', 'data-info']) if (e.getAttribute(a)) res.push(abs(e.getAttribute(a)));
        const set = e.getAttribute('srcset');
        if (set) set.split(',').forEach((s) => res.push(abs(s.trim().split(/\s+/)[0])));
      });
      const lds = Array.from(document.querySelectorAll('script[type="application/ld+json"]')).map((s) => s.textContent);
      const alts = Array.from(document.querySelectorAll('link[rel="alternate"][hreflang]')).map((l) => [l.hreflang, l.href]);
      return { links, res, lds, alts, lang: document.documentElement.lang, title: document.title, text: document.body.innerText };
    });
    report.pages[url] = { status: resp.status(), lang: info.lang, title: info.title, text: info.text };
    report.jsonld[url] = info.lds;
    report.alternates[url] = info.alts;
    for (const l of info.links) {
      report.links++;
      const u = new URL(l);
      u.hash = '';
      const clean = u.href;
      if (!clean.startsWith(origin)) continue;
      if (/\/$|\.html$/.test(u.pathname)) {
        if (!seen.has(clean)) { seen.add(clean); queue.push(clean); }
      } else {
        seenResources.add(clean);
      }
    }
    info.res.forEach((r) => { if (r.startsWith(origin)) seenResources.add(r.split('#')[0]); });
  }
  await page.close();
}

// Every internal resource and non-page link answers 200.
async function resources(report) {
  for (const url of seenResources) {
    report.resources++;
    const r = await fetch(url, { method: 'GET' });
    if (r.status !== 200) report.failed.push({ page: '(link)', url, status: r.status });
    await r.arrayBuffer();
  }
}

async function axe(browser, report, paths) {
  const source = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  for (const p of paths) {
    for (const [w, h] of [[1440, 900], [360, 740]]) {
      const page = await newPage(browser, null, w, h);
      await page.setBypassCSP(true);
      await page.goto(base + p, { waitUntil: 'networkidle0', timeout: 60000 });
      await page.addScriptTag({ content: source });
      const result = await page.evaluate(async () => {
        const r = await axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] });
        return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
      });
      // Horizontal scrolling at 360 px means the page does not fit a phone.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      report.axe[p + ' @' + w] = { violations: result, overflow };
      await page.close();
    }
  }
}

async function search(browser, s) {
  const page = await newPage(browser, null);
  await page.goto(`${base}/${s.lang}/search/`, { waitUntil: 'networkidle0' });
  await page.focus('#q');
  await page.keyboard.type(s.query);
  await page.waitForFunction(() => document.querySelectorAll('#results li').length > 0 || /\S/.test(document.getElementById('search-status').textContent), { timeout: 10000 }).catch(() => {});
  const out = await page.evaluate(() => ({
    status: document.getElementById('search-status').textContent,
    results: Array.from(document.querySelectorAll('#results li')).map((li) => ({ title: li.querySelector('.card-title').textContent, href: li.querySelector('a').href })),
  }));
  // A result link leads to a page that loads.
  if (out.results.length) {
    const r = await fetch(out.results[0].href);
    out.first_status = r.status;
  }
  await page.close();
  return out;
}

async function langSwitch(browser, p) {
  const page = await newPage(browser, null);
  await page.goto(base + p, { waitUntil: 'networkidle0' });
  const target = await page.$('nav.langs a[hreflang="en"]');
  await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), target.click()]);
  const out = { url: page.url(), lang: await page.evaluate(() => document.documentElement.lang) };
  // And back by keyboard: focus the Vietnamese link, press Enter.
  await page.focus('nav.langs a[hreflang="vi"]');
  await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.keyboard.press('Enter')]);
  out.back = page.url();
  await page.close();
  return out;
}

async function viewers(browser, v) {
  const out = {};
  const guard = async (name, f) => { try { await f(); } catch (e) { out[name + '_error'] = String(e); } };
  fs.mkdirSync(outDir, { recursive: true });
  if (v.pano) await guard('pano', async () => {
    const page = await newPage(browser, null, 1440, 900);
    await page.goto(base + v.pano, { waitUntil: 'networkidle0' });
    await page.waitForFunction(() => window.disanViewer && window.disanViewer.isLoaded(), { timeout: 60000 });
    await new Promise((r) => setTimeout(r, 1500));
    const el = await page.$('#pano');
    await el.screenshot({ path: path.join(outDir, 'pano-view.png') });
    out.pano = await page.evaluate(() => ({ yaw: disanViewer.getYaw(), pitch: disanViewer.getPitch(), hfov: disanViewer.getHfov() }));
    await page.close();
  });
  if (v.zoom) await guard('zoom', async () => {
    const page = await newPage(browser, null, 1440, 900);
    await page.goto(base + v.zoom, { waitUntil: 'networkidle0' });
    await page.waitForFunction(() => window.disanZoom && window.disanZoom.world.getItemCount() > 0 && window.disanZoom.world.getItemAt(0).getFullyLoaded(), { timeout: 60000 });
    const el = await page.$('#zoom');
    await el.screenshot({ path: path.join(outDir, 'zoom-view.png') });
    // Where the whole image lies in the element, for a comparison with the source.
    out.zoom = await page.evaluate(() => {
      const item = disanZoom.world.getItemAt(0);
      const s = item.source;
      const r = disanZoom.viewport.viewportToViewerElementRectangle(item.imageToViewportRectangle(0, 0, s.width, s.height));
      return { width: s.width, height: s.height, rect: [r.x, r.y, r.width, r.height] };
    });
    await page.close();
  });
  if (v.model) await guard('model', async () => {
    const page = await newPage(browser, null, 1440, 900);
    await page.goto(base + v.model, { waitUntil: 'networkidle0' });
    await page.waitForFunction(() => document.getElementById('model').dataset.loaded === 'full', { timeout: 90000 });
    await new Promise((r) => setTimeout(r, 1000));
    const el = await page.$('#model');
    await el.screenshot({ path: path.join(outDir, 'model-view.png') });
    out.model = await page.evaluate(() => ({ src: document.getElementById('model').getAttribute('src') }));
    await page.close();
  });
  if (v.marzipano) await guard('marzipano', async () => {
    // A window the small sample's faces fill without magnifying: Marzipano widens the view rather than
    // show a face beyond its resolution.
    const page = await newPage(browser, null, 960, 600);
    await page.goto(base + v.marzipano, { waitUntil: 'networkidle0' });
    await page.waitForFunction(() => window.disanTour && window.disanTour.current(), { timeout: 60000 });
    // Turn to the scene's start view again once every tile has come, so the frame is drawn from them.
    await new Promise((r) => setTimeout(r, 2500));
    out.marzipano = await page.evaluate(() => {
      const t = window.disanTour;
      const e = t.scenes[t.current()];
      const v = e.data.disanView;
      e.view.setParameters({ yaw: v.yaw + 1e-4, pitch: v.pitch });
      return { scene: t.current(), scenes: Object.keys(t.scenes).length, links: document.querySelectorAll('.link-hotspot').length };
    });
    await new Promise((r) => setTimeout(r, 1500));
    await page.screenshot({ path: path.join(outDir, 'marzipano-view.png') });
    await page.close();
  });
  return out;
}

async function shots(browser, report, paths) {
  fs.mkdirSync(outDir, { recursive: true });
  for (const p of paths) {
    for (const [name, w, h] of [['phone', 390, 844], ['desktop', 1440, 900]]) {
      const page = await newPage(browser, null, w, h);
      await page.goto(base + p, { waitUntil: 'networkidle0' });
      await new Promise((r) => setTimeout(r, 500));
      const file = `${p.replace(/[^a-zA-Z0-9-]+/g, '_').replace(/^_|_$/g, '') || 'root'}-${name}.png`;
      await page.screenshot({ path: path.join(outDir, file) });
      report.shots.push(file);
      await page.close();
    }
  }
}

// The printable sign: how many A4 pages it prints on.
async function pdf(browser, p) {
  const page = await newPage(browser, null);
  await page.goto(base + p, { waitUntil: 'networkidle0' });
  const file = path.join(outDir, 'sign.pdf');
  await page.pdf({ path: file, format: 'A4', printBackground: true, preferCSSPageSize: true });
  const text = fs.readFileSync(file).toString('latin1');
  await page.close();
  return { pages: (text.match(/\/Type\s*\/Page[^s]/g) || []).length, file };
}

main().catch((e) => { console.error(e); process.exit(1); });
