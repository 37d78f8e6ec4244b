/**
 * The API reference page at `/docs`: Swagger UI from the pinned `swagger-ui-dist` package, which
 * tools/assets.ts copies into `public/vendor/` (served by Workers static assets), started by
 * `public/js/docs.js`. Nothing comes from another origin and there is no inline script, so the
 * page runs under a strict Content-Security-Policy.
 */
import type { Context } from "hono";

/** Only this origin's scripts, styles, images (and the data: icons Swagger UI's CSS uses) and API. */
export const docsContentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const docsHtml = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>TFGrid market API</title>
    <link rel="stylesheet" href="/vendor/swagger-ui.css">
  </head>
  <body>
    <div id="swagger-ui" data-openapi-url="/openapi.json"></div>
    <script src="/vendor/swagger-ui-bundle.js"></script>
    <script src="/js/docs.js"></script>
  </body>
</html>
`;

/** Serves the page with its policy. */
export function docsPage(c: Context): Response {
  return c.html(docsHtml, 200, {
    "content-security-policy": docsContentSecurityPolicy,
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
  });
}
