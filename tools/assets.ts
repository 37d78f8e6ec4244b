/**
 * Ships the third-party browser files: copies Chart.js's UMD build and Swagger UI's bundle and
 * stylesheet (with their licences) from node_modules into the git-ignored `public/vendor/`, which Workers static assets serve as
 * `/vendor/…`. Run by the npm `predev`, `pretest`, `prebuild` and `predeploy` hooks and by the e2e
 * global setup, so a fresh clone needs only `npm install`. Idempotent: files already identical
 * are left alone.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Where vendored browser files go (served at `/vendor/<name>`). */
export const vendorDirectory = join(root, "public", "vendor");

/** One vendored file: its path inside an npm package and its name under `public/vendor/`. */
type VendorFile = { readonly packageName: string; readonly path: string; readonly target: string };

/**
 * The browser files the dashboard and the API docs load. `chart.umd.min.js` defines the global
 * `Chart`; `swagger-ui-bundle.js` defines `SwaggerUIBundle`, started on /docs by public/js/docs.js.
 */
export const vendorFiles: readonly VendorFile[] = [
  { packageName: "chart.js", path: "dist/chart.umd.min.js", target: "chart.umd.min.js" },
  { packageName: "chart.js", path: "LICENSE.md", target: "chart.js-LICENSE.md" },
  { packageName: "swagger-ui-dist", path: "swagger-ui-bundle.js", target: "swagger-ui-bundle.js" },
  { packageName: "swagger-ui-dist", path: "swagger-ui.css", target: "swagger-ui.css" },
  { packageName: "swagger-ui-dist", path: "LICENSE", target: "swagger-ui-LICENSE" },
];

function packageDirectory(packageName: string): string {
  const require = createRequire(join(root, "package.json"));
  // chart.js's "exports" hides package.json; resolve its main entry and walk up to the package root.
  let directory = dirname(require.resolve(packageName));
  while (!existsSync(join(directory, "package.json"))) {
    const parent = dirname(directory);
    if (parent === directory) throw new Error(`cannot find the root of ${packageName}`);
    directory = parent;
  }
  return directory;
}

function sameContent(left: string, right: string): boolean {
  return existsSync(right) && readFileSync(left).equals(readFileSync(right));
}

/** Copies every vendor file into `public/vendor/`; returns the names written (unchanged ones skipped). */
export function copyVendorAssets(): string[] {
  mkdirSync(vendorDirectory, { recursive: true });
  const written: string[] = [];
  for (const file of vendorFiles) {
    const source = join(packageDirectory(file.packageName), file.path);
    const target = join(vendorDirectory, file.target);
    if (sameContent(source, target)) continue;
    copyFileSync(source, target);
    written.push(file.target);
  }
  return written;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const written = copyVendorAssets();
  if (written.length > 0) console.log(`assets: copied ${written.join(", ")} to public/vendor/`);
}
