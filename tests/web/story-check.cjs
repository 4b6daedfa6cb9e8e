// Drives a relic's story on a website asset page in Debian's headless Chromium (puppeteer-core): sizes the
// <model-viewer> to WIDTH×HEIGHT CSS pixels (device pixel ratio 1), waits for the full model, then for each
// annotation of the story clicks its title (the camera flies to the saved view), jumps to the end of the
// flight and reads, for every pin, where model-viewer projects it (`queryHotspot().canvasPosition`) and
// whether it is shown (model-viewer's facing test and the page's own occlusion test). Also reads the camera
// model-viewer ended on, the story's status line, walks "next" from the keyboard, runs axe-core on the page,
// and saves a screenshot of the first annotation's view.
//
// Usage: node story-check.cjs BASE_URL PAGE_PATH WIDTH HEIGHT SHOT.png
// Prints one JSON report: {views: [{annotation, orbit, target, fov, status, pins: [{id, x, y, shown}]}],
// next, axe, errors, failed}.
'use strict';
const fs = require('fs');
const { launch } = require('./browser.cjs');

const [base, path, width, height, shot] = process.argv.slice(2);
const W = Number(width);
const H = Number(height);

async function main() {
  const browser = await launch();
  const report = { views: [], errors: [], failed: [] };
  try {
    const page = await browser.newPage();
    // Tall enough for the whole page: model-viewer only renders while it is on screen, so nothing may scroll
    // it away.
    await page.setViewport({ width: W + 200, height: 4000, deviceScaleFactor: 1 });
    page.on('console', (m) => { if (m.type() === 'error') report.errors.push(m.text()); });
    page.on('pageerror', (e) => report.errors.push(String(e)));
    page.on('response', (r) => { if (r.status() >= 400) report.failed.push({ url: r.url(), status: r.status() }); });
    await page.setBypassCSP(true); // for axe-core, added at the end
    await page.goto(base + path, { waitUntil: 'load' });
    await page.evaluate(async (W, H) => {
      const mv = document.getElementById('model');
      mv.style.width = W + 'px';
      mv.style.height = H + 'px';
      mv.style.minHeight = '0';
      mv.style.borderRadius = '0';
      await customElements.whenDefined('model-viewer');
      // The light LOD loads first, then site.js swaps in the full model.
      await new Promise((res, rej) => {
        const t = setTimeout(() => rej(new Error('the full model did not load')), 60000);
        const done = () => { if (mv.dataset.loaded === 'full' && mv.loaded) { clearTimeout(t); res(); } else setTimeout(done, 100); };
        done();
      });
    }, W, H);
    const frames = () => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const count = await page.$$eval('.story-list > li', (x) => x.length);
    for (let i = 0; i < count; i++) {
      await page.evaluate((i) => document.querySelectorAll('.story-list > li .story-go')[i].click(), i);
      // The new goal reaches the camera controls in the element's next update; then jump to it and wait until
      // the pins stop moving.
      await page.evaluate(async () => {
        const mv = document.getElementById('model');
        await mv.updateComplete;
        await new Promise((r) => requestAnimationFrame(r));
        mv.jumpCameraToGoal();
        const where = () => Array.from(mv.querySelectorAll('.pin')).map((p) => { const q = mv.queryHotspot(p.slot); return q.canvasPosition.x.toFixed(3) + ',' + q.canvasPosition.y.toFixed(3); }).join(' ');
        let last = '', same = 0;
        for (let i = 0; i < 300 && same < 5; i++) {
          await new Promise((r) => requestAnimationFrame(r));
          const now = where();
          same = now === last ? same + 1 : 0;
          last = now;
        }
      });
      await frames();
      await page.evaluate(() => window.disanStory.occlusion());
      await new Promise((r) => setTimeout(r, 400)); // the pins' fade
      const view = await page.evaluate(() => {
        const mv = document.getElementById('model');
        const li = document.querySelector('.story-list > li[aria-current]');
        const o = mv.getCameraOrbit();
        const t = mv.getCameraTarget();
        const rect = mv.getBoundingClientRect();
        return {
          annotation: li && li.dataset.annotation,
          orbit: { theta: o.theta * 180 / Math.PI, phi: o.phi * 180 / Math.PI, radius: o.radius },
          target: [t.x, t.y, t.z],
          fov: mv.getFieldOfView(),
          size: [rect.width, rect.height],
          status: document.querySelector('.story-status').textContent,
          pins: Array.from(mv.querySelectorAll('.pin')).map((p) => {
            const q = mv.queryHotspot(p.slot);
            const r = mv.getBoundingClientRect();
            const hit = mv.positionAndNormalFromPoint(r.left + q.canvasPosition.x, r.top + q.canvasPosition.y);
            return {
              position: [q.position.x, q.position.y, q.position.z],
              normal: [q.normal.x, q.normal.y, q.normal.z],
              hit: hit && [hit.position.x, hit.position.y, hit.position.z],
              id: p.dataset.annotation,
              x: q.canvasPosition.x,
              y: q.canvasPosition.y,
              facing: p.hasAttribute('data-visible'),
              occluded: p.classList.contains('occluded'),
              shown: p.hasAttribute('data-visible') && !p.classList.contains('occluded') && getComputedStyle(p).opacity !== '0',
            };
          }),
        };
      });
      report.views.push(view);
      if (i === 0 && shot) {
        await new Promise((r) => setTimeout(r, 500));
        const el = await page.$('#model');
        await el.screenshot({ path: shot });
      }
    }
    // From the keyboard: focus "next" and press Enter; the story moves on and the status says where.
    await page.focus('.story-next');
    await page.keyboard.press('Enter');
    report.next = await page.evaluate(() => {
      const li = document.querySelector('.story-list > li[aria-current]');
      return { annotation: li && li.dataset.annotation, status: document.querySelector('.story-status').textContent };
    });
    const source = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
    await page.addScriptTag({ content: source });
    report.axe = await page.evaluate(async () => {
      const r = await axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] });
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
    });
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(report) + '\n');
}

main().catch((e) => { console.error(e); process.exit(1); });
