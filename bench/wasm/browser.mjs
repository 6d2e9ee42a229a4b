// The comparison of compare.mjs in headless Chromium (Debian's chromium, driven by the
// playwright-core that cli/tests/node installs), on the page thread. Prints the page's
// result as JSON.
//
// usage: node browser.mjs POW_BUSTER_PKG N DIFFICULTY
import http from 'node:http';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { serveFile } from '../../cli/tests/node/static.mjs';

const [pbDir, n = '60', difficulty = '5'] = process.argv.slice(2);
const here = fileURLToPath(new URL('.', import.meta.url));
const { chromium } = createRequire(join(here, '../../cli/tests/node/package.json'))('playwright-core');
const mounts = [
  ['/pkg/', fileURLToPath(new URL('../../js/', import.meta.url))],
  ['/pb/', resolve(pbDir) + '/'],
  ['/bench/', here],
  ['/', here],
];
const server = http.createServer((req, res) => serveFile(mounts, new URL(req.url, 'http://x'), res));
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});
try {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${server.address().port}/?n=${n}&d=${difficulty}`);
  await page.waitForFunction(() => window.__result !== undefined, null, { timeout: 600_000, polling: 500 });
  console.log(JSON.stringify(await page.evaluate(() => window.__result)));
} finally {
  await browser.close();
  server.close();
}
