// A static file server for the demo: serves the repository root read-only on
// localhost (WebGPU needs a secure context, and localhost is one).
//   node examples/mnist-web/serve.mjs [port]     then open http://localhost:8080/
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.safetensors': 'application/octet-stream',
};

/** Starts the server on `port` (0: any free one) and resolves to it and its port. */
export function startServer({ root = join(dirname(fileURLToPath(import.meta.url)), '../..'), port = 8080, host = '127.0.0.1' } = {}) {
  const base = resolve(root); // no trailing separator
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/') {
      res.writeHead(302, { location: '/examples/mnist-web/' });
      return res.end();
    }
    let path = normalize(join(base, decodeURIComponent(url.pathname)));
    if (!path.startsWith(base + sep)) return notFound(res);
    try {
      if (statSync(path).isDirectory()) {
        // relative links of a page need its folder URL to end in '/'
        if (!url.pathname.endsWith('/')) {
          res.writeHead(301, { location: `${url.pathname}/${url.search}` });
          return res.end();
        }
        path = join(path, 'index.html');
      }
      if (!statSync(path).isFile()) return notFound(res);
    } catch {
      return notFound(res);
    }
    res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    createReadStream(path).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve({ server, port: server.address().port }));
  });
}

function notFound(res) {
  res.writeHead(404, { 'content-type': 'text/plain' });
  res.end('not found');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === normalize(process.argv[1])) {
  const { port } = await startServer({ port: Number(process.argv[2] ?? 8080) });
  console.log(`serving the repository on http://localhost:${port}/ (the demo: /examples/mnist-web/); Ctrl-C stops`);
}
