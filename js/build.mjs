// Build the widget bundles into ../mi_widgets/static/ (one self-contained ESM file per entry).
//
//   node build.mjs           minified production build (no sourcemaps)
//   node build.mjs --watch   rebuild on change, with inline sourcemaps
//
// The bundles are inlined into HTML reports, so they must never contain "</script" or "<!--".

import * as esbuild from "esbuild";
import { readFileSync, rmSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const outdir = join(here, "..", "mi_widgets", "static");
const watch = process.argv.includes("--watch");

const entries = {
  attention: join(here, "src", "attention.ts"),
  feature: join(here, "src", "feature.ts"),
  head_scores: join(here, "src", "head_scores.ts"),
  lens: join(here, "src", "lens.ts"),
  neuron: join(here, "src", "neuron.ts"),
  patching: join(here, "src", "patching.ts"),
  attribution: join(here, "src", "attribution.ts"),
  probe: join(here, "src", "probe.ts"),
  superposition: join(here, "src", "superposition.ts"),
  standalone: join(here, "src", "standalone.ts"),
};

const FORBIDDEN = [/<\/script/i, /<!--/];

/** Fail loudly when a bundle contains text that would break an inline <script>. */
function checkInlineSafe(file) {
  const text = readFileSync(file, "utf8");
  for (const pattern of FORBIDDEN) {
    const match = pattern.exec(text);
    if (match) {
      const around = text.slice(Math.max(0, match.index - 40), match.index + 40);
      throw new Error(`${relative(here, file)} contains ${pattern} (cannot be inlined in HTML): ...${around}...`);
    }
  }
  if (/https?:\/\/[^\s"'`]*(cdn|unpkg|jsdelivr|esm\.sh|skypack)/i.test(text)) {
    throw new Error(`${relative(here, file)} references a CDN URL`);
  }
}

const options = {
  entryPoints: entries,
  outdir,
  bundle: true,
  format: "esm",
  target: "es2020",
  platform: "browser",
  minify: !watch,
  sourcemap: watch ? "inline" : false,
  legalComments: "none",
  absWorkingDir: here,
  logLevel: "info",
  metafile: true,
};

const checkPlugin = {
  name: "inline-safe",
  setup(build) {
    build.onEnd((result) => {
      if (result.errors.length) return;
      for (const file of Object.keys(result.metafile?.outputs ?? {})) {
        const path = join(here, file);
        try {
          checkInlineSafe(path);
        } catch (error) {
          console.error(`\n${error.message}\n`);
          rmSync(path, { force: true });
          if (!watch) process.exitCode = 1;
        }
      }
    });
  },
};

if (watch) {
  const context = await esbuild.context({ ...options, plugins: [checkPlugin] });
  await context.watch();
  console.log(`watching; writing to ${relative(process.cwd(), outdir)}`);
} else {
  await esbuild.build({ ...options, plugins: [checkPlugin] });
  if (process.exitCode) {
    console.error("build failed: a bundle is not safe to inline");
    process.exit(process.exitCode);
  }
}
