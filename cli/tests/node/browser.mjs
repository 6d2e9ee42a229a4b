// The npm package in headless Chromium (Debian's chromium, driven by playwright-core),
// run by cli/tests/browser.rs.
//
// usage: node browser.mjs SERVE_ADDR SCREENSHOT_PATH [MS]
//
// Serves the package (js/) under /pkg/ and the test page (browser/index.html) at /, and
// passes /api/* to `grind serve` at SERVE_ADDR, so the page and the API share an origin.
// The page solves a challenge from /api/challenge, posts it to /api/verify and measures
// the kernel on the page thread and on 1 and 2 Web Workers. Prints the page's result as
// JSON and saves a screenshot.
import http from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

import { serveFile } from './static.mjs';

const [serveAddr, shot, ms = '2000'] = process.argv.slice(2);
const here = fileURLToPath(new URL('.', import.meta.url));
const pkgRoot = fileURLToPath(new URL('../../../js/', import.meta.url));
const mounts = [
  ['/pkg/', pkgRoot],
  ['/', join(here, 'browser') + '/'],
];

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname.startsWith('/api/')) {
    const body = [];
    for await (const c of req) body.push(c);
    const up = await fetch(`http://${serveAddr}${url.pathname}${url.search}`, {
      method: req.method,
      headers: { 'content-type': req.headers['content-type'] ?? 'application/json' },
      body: req.method === 'GET' ? undefined : Buffer.concat(body),
    }).catch((e) => new Response(JSON.stringify({ error: String(e) }), { status: 502 }));
    res.writeHead(up.status, { 'content-type': up.headers.get('content-type') ?? 'application/json' });
    res.end(Buffer.from(await up.arrayBuffer()));
    return;
  }
  await serveFile(mounts, url, res);
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    ...(process.env.CHROMIUM_JS_FLAGS ? [`--js-flags=${process.env.CHROMIUM_JS_FLAGS}`] : []),
  ],
});
try {
  const page = await browser.newPage({ viewport: { width: 760, height: 420 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(`http://127.0.0.1:${server.address().port}/?ms=${ms}`);
  await page.waitForFunction(() => window.__result !== undefined, null, { timeout: 120_000, polling: 250 });
  const result = await page.evaluate(() => window.__result);
  await page.screenshot({ path: shot });
  console.log(JSON.stringify({ ...result, errors }));
} finally {
  await browser.close();
  server.close();
}
