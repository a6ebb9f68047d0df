import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import Router from '@koa/router';

// The UI's own files, served from the installed swagger-ui-dist package: no CDN, no network.
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
};

/**
 * `/docs/`: a browsable reference of `/openapi.json` (Swagger UI). The page, its initializer
 * and the UI's assets are all files of this origin, so the app's CSP (`script-src 'self'`)
 * holds here as everywhere else.
 * @example root.use(apiReference({ documentUrl: '/openapi.json' }).routes())
 */
export function apiReference(options: { documentUrl: string }): Router {
  const packageFolder = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  const cache = new Map<string, Promise<Buffer>>();
  const asset = (file: string): Promise<Buffer> => {
    let content = cache.get(file);
    if (!content) cache.set(file, (content = readFile(join(packageFolder, file))));
    return content;
  };
  const router = new Router();

  // One route for both: the router does not tell /docs from /docs/ (it is not strict).
  router.get('/docs', (ctx) => {
    // The page names its files relative to itself, which needs the trailing slash.
    if (!ctx.path.endsWith('/')) {
      ctx.redirect('/docs/');
      return;
    }
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = REFERENCE_HTML;
  });
  router.get('/docs/swagger-initializer.js', (ctx) => {
    ctx.type = 'text/javascript; charset=utf-8';
    ctx.body = initializer(options.documentUrl);
  });
  router.get('/docs/:file', async (ctx, next) => {
    const type = ASSETS[ctx.params.file ?? ''];
    if (!type) return next();
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.type = type;
    ctx.body = await asset(ctx.params.file!);
  });
  return router;
}

const REFERENCE_HTML = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>API reference</title>
  <link rel="stylesheet" href="swagger-ui.css">
  <link rel="icon" type="image/png" href="favicon-32x32.png" sizes="32x32">
  <link rel="icon" type="image/png" href="favicon-16x16.png" sizes="16x16">
  <script src="swagger-ui-bundle.js" defer></script>
  <script src="swagger-initializer.js" defer></script>
</head>
<body>
  <div id="swagger-ui"></div>
</body>
</html>
`;

// Served as its own file because the CSP forbids inline scripts. No validator badge: it would
// send the document to validator.swagger.io.
const initializer = (documentUrl: string) => `'use strict';
window.addEventListener('DOMContentLoaded', () => {
  window.ui = SwaggerUIBundle({
    url: ${JSON.stringify(documentUrl)},
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    persistAuthorization: false,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
  });
});
`;
