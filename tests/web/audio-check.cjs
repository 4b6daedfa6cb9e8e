// Plays the narration of website pages in Debian's headless Chromium (puppeteer-core): for each page, every
// <audio> element's duration once its metadata loaded, and whether playing it moved currentTime (a
// `timeupdate` past 0.2 s), with the page's draft-voice note and any console error or failed request.
//
// Usage: node audio-check.cjs BASE_URL '["/vi/assets/ID/", …]'
// Prints one JSON report on stdout: {pages: {path: {audio: [{src, duration, played, time}], draft, heading}},
// errors: [], failed: []}.
'use strict';
const fs = require('fs');
const puppeteer = require('puppeteer-core');

const [base, pathsJson] = process.argv.slice(2);
const paths = JSON.parse(pathsJson);

function chromium() {
  for (const c of ['/usr/bin/chromium', '/usr/bin/chromium-browser']) if (fs.existsSync(c)) return c;
  throw new Error('Chromium is missing');
}

async function main() {
  const browser = await puppeteer.launch({
    executablePath: chromium(),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--autoplay-policy=no-user-gesture-required', '--mute-audio',
      '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
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
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(report) + '\n');
}

main().catch((e) => { console.error(e); process.exit(1); });
