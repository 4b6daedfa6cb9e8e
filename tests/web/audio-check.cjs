// Plays the narration of website pages in Debian's headless Chromium (puppeteer-core): for each page, every
// <audio> element's duration once its metadata loaded, and whether playing it moved currentTime (a
// `timeupdate` past 0.2 s), with the page's draft-voice note and any console error or failed request.
//
// With a tour page as third argument, it also drives the narrated tour player: starts it from the keyboard,
// reads the caption, the scene and the narration's time, skips to the next step, lets it follow the link to
// the next scene by itself, and pauses it; with a fourth, it saves a screenshot of the player there.
//
// Usage: node audio-check.cjs BASE_URL '["/vi/assets/ID/", …]' [TOUR_PATH [SHOT.png]]
// Prints one JSON report on stdout: {pages: {path: {audio: [{src, duration, played, time}], draft, heading}},
// errors: [], failed: []}.
'use strict';
const { launch } = require('./browser.cjs');

const [base, pathsJson, tourPath, shot] = process.argv.slice(2);
const paths = JSON.parse(pathsJson);

async function main() {
  const browser = await launch(['--autoplay-policy=no-user-gesture-required', '--mute-audio']);
  const report = { pages: {}, errors: [], failed: [] };
  try {
    for (const p of paths) {
      const page = await browser.newPage();
      page.on('console', (m) => { if (m.type() === 'error') report.errors.push({ page: p, text: m.text() }); });
      page.on('pageerror', (e) => report.errors.push({ page: p, text: String(e) }));
      page.on('response', (r) => { if (r.status() >= 400) report.failed.push({ page: p, url: r.url(), status: r.status() }); });
      await page.goto(base + p, { waitUntil: 'load' });
      report.pages[p] = await page.evaluate(async () => {
        const out = [];
        for (const a of document.querySelectorAll('audio')) {
          if (!(a.readyState >= 1)) {
            await new Promise((res) => { a.addEventListener('loadedmetadata', res, { once: true }); a.addEventListener('error', res, { once: true }); a.load(); });
          }
          const duration = a.duration;
          const played = await new Promise((res) => {
            const t = setTimeout(() => res(false), 15000);
            a.addEventListener('timeupdate', function tick() {
              if (a.currentTime > 0.2) { clearTimeout(t); a.removeEventListener('timeupdate', tick); res(true); }
            });
            a.play().catch(() => { clearTimeout(t); res(false); });
          });
          a.pause();
          out.push({ src: a.getAttribute('src'), duration, played, time: a.currentTime, error: a.error && a.error.message });
        }
        const draft = document.querySelector('.draft-voice');
        const h = document.getElementById('h-narration');
        return { audio: out, draft: draft && draft.textContent, heading: h && h.textContent };
      });
      await page.close();
    }
    if (tourPath) report.guide = await guide(browser, report, tourPath);
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(report) + '\n');
}

async function guide(browser, report, p) {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 1400 });
  page.on('console', (m) => { if (m.type() === 'error') report.errors.push({ page: p, text: m.text() }); });
  page.on('pageerror', (e) => report.errors.push({ page: p, text: String(e) }));
  page.on('response', (r) => { if (r.status() >= 400) report.failed.push({ page: p, url: r.url(), status: r.status() }); });
  await page.goto(base + p, { waitUntil: 'load' });
  await page.waitForFunction(() => window.disanGuide && window.disanViewer && window.disanViewer.isLoaded(), { timeout: 30000 });
  const state = () => page.evaluate(() => {
    const a = document.getElementById('guide-audio');
    return {
      index: window.disanGuide.index(), playing: window.disanGuide.playing(), steps: window.disanGuide.steps.length,
      scene: window.disanViewer.getScene(), yaw: window.disanViewer.getYaw(), pitch: window.disanViewer.getPitch(),
      caption: document.getElementById('guide-caption').textContent,
      status: document.getElementById('guide-status').textContent,
      button: document.getElementById('guide-play').textContent,
      src: a.getAttribute('src'), time: a.currentTime, paused: a.paused,
    };
  });
  const out = {};
  // Start from the keyboard: focus the play button, press Enter.
  await page.focus('#guide-play');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.getElementById('guide-audio').currentTime > 0.3, { timeout: 15000 }).catch(() => {});
  out.first = await state();
  // Skip to the next step (an information point): the view turns to it.
  await page.click('#guide-next');
  await page.waitForFunction(() => document.getElementById('guide-audio').currentTime > 0.3, { timeout: 15000 }).catch(() => {});
  await new Promise((r) => setTimeout(r, 1800));
  out.second = await state();
  if (shot) await page.screenshot({ path: shot, fullPage: true });
  // Let it run: the narration ends, the view turns to the link and the next scene loads by itself.
  const firstScene = out.first.scene;
  await page.waitForFunction((s) => window.disanViewer.getScene() !== s, { timeout: 40000 }, firstScene).catch(() => {});
  out.next = await state();
  // Pause.
  await page.click('#guide-play');
  out.paused = await state();
  await page.close();
  return out;
}

main().catch((e) => { console.error(e); process.exit(1); });
