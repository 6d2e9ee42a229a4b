// A static file handler for the pages the browser test and bench/wasm drive: each mount
// maps a URL prefix to a folder (the first that matches; '/' serves index.html), and
// nothing outside a mount's folder is served.
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';

const types = {
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.html': 'text/html',
  '.wasm': 'application/wasm',
};

/** Serves `url` (a URL) from `mounts` ([prefix, folder ending in '/'] pairs) into `res`. */
export async function serveFile(mounts, url, res) {
  const mount = mounts.find(([prefix]) => url.pathname.startsWith(prefix));
  if (!mount) return res.writeHead(404).end();
  const [prefix, root] = mount;
  const rel = url.pathname === '/' ? 'index.html' : url.pathname.slice(prefix.length);
  const path = normalize(join(root, rel));
  if (!path.startsWith(root)) return res.writeHead(403).end();
  try {
    const data = await readFile(path);
    res.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' });
    res.end(data);
  } catch {
    res.writeHead(404).end();
  }
}
