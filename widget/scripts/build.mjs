// Bundles the visitor widget into one self-contained IIFE (dist/widget.js)
// and enforces the size budget from issue 5: 40 KB gzipped, socket.io-client
// included. The budget is checked here so CI fails the moment it is exceeded.
import { build } from "esbuild";
import { mkdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outfile = join(root, "dist", "widget.js");
const BUDGET_GZIP_BYTES = 40 * 1024;
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

mkdirSync(dirname(outfile), { recursive: true });
await build({
  entryPoints: [join(root, "src", "embed", "index.ts")],
  outfile,
  bundle: true,
  minify: true,
  format: "iife",
  // The one global the widget adds to a host page.
  globalName: "Tsunagu",
  target: ["es2020", "chrome90", "firefox90", "safari15"],
  platform: "browser",
  // socket.io-client ships a `debug` dependency only in its Node build; the
  // browser build must not carry Node globals.
  define: {
    "process.env.NODE_ENV": '"production"',
    __TSUNAGU_VERSION__: JSON.stringify(pkg.version),
  },
  legalComments: "none",
  sourcemap: false,
  logLevel: "warning",
});

const raw = statSync(outfile).size;
const gzip = gzipSync(readFileSync(outfile), { level: 9 }).length;
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
console.log(`widget.js: ${raw} bytes raw (${kb(raw)}), ${gzip} bytes gzipped (${kb(gzip)}); budget ${kb(BUDGET_GZIP_BYTES)} gzipped`);
if (gzip > BUDGET_GZIP_BYTES) {
  console.error(`widget.js is over budget by ${gzip - BUDGET_GZIP_BYTES} bytes gzipped`);
  process.exit(1);
}
