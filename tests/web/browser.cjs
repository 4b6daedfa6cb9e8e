// Debian's headless Chromium for the web checks (puppeteer-core): one place for where it is and how it is
// started (no sandbox as root, SwiftShader's WebGL for the viewers, nothing fetched from Google).
'use strict';
const fs = require('fs');
const puppeteer = require('puppeteer-core');

function chromium() {
  for (const c of ['/usr/bin/chromium', '/usr/bin/chromium-browser']) if (fs.existsSync(c)) return c;
  throw new Error('Chromium is missing');
}

// Starts it, with `extra` flags after the common ones.
function launch(extra) {
  return puppeteer.launch({
    executablePath: chromium(),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
      '--disable-quic'].concat(extra || []),
  });
}

module.exports = { launch };
