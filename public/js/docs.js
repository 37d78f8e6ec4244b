// Starts Swagger UI on /docs (src/kit/http/docs.ts) against the API's OpenAPI document. A file, not an
// inline script, so the page's Content-Security-Policy can allow only this origin's scripts.
const root = document.getElementById("swagger-ui");
globalThis.SwaggerUIBundle({
  url: root?.dataset.openapiUrl ?? "/openapi.json",
  domNode: root,
  deepLinking: true,
});
