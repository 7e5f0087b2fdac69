// Bundles the browser code into self-contained IIFEs and prints their sizes:
//  * dist/widget.js  — the visitor widget, held to the issue-5 budget of
//    40 KB gzipped (socket.io-client included), so CI fails the moment it grows;
//  * dist/console.js — the agent console and its login page (served by the
//    gateway itself at /console.js); agents load it once a day, so its budget
//    is looser, but it is still printed and capped to notice accidents. It
//    carries uPlot (~22 KB gzipped) for the Reports page's charts since issue 10.
import { build } from "esbuild";
import { mkdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

const bundles = [
  // The one global the widget adds to a host page.
  { name: "widget.js", entry: join("src", "embed", "index.ts"), globalName: "Tsunagu", budget: 40 * 1024 },
  // The console owns its page: no global needed.
  { name: "console.js", entry: join("src", "console", "index.ts"), globalName: undefined, budget: 120 * 1024 },
];

let failed = false;
for (const b of bundles) {
  const outfile = join(root, "dist", b.name);
  mkdirSync(dirname(outfile), { recursive: true });
  await build({
    entryPoints: [join(root, b.entry)],
    outfile,
    bundle: true,
    minify: true,
    format: "iife",
    ...(b.globalName ? { globalName: b.globalName } : {}),
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
  console.log(`${b.name}: ${raw} bytes raw (${kb(raw)}), ${gzip} bytes gzipped (${kb(gzip)}); budget ${kb(b.budget)} gzipped`);
  if (gzip > b.budget) {
    console.error(`${b.name} is over budget by ${gzip - b.budget} bytes gzipped`);
    failed = true;
  }
}
if (failed) process.exit(1);
