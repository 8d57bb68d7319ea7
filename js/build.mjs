// Build the widget bundles into ../mi_widgets/static/ (one self-contained ESM file per entry).
// Views come from the registry ../mi_widgets/widgets/views.json: the bundle of view `<module>` is
// `export default defineView(<controller>)` with the controller from src/<module>/view.ts,
// generated here (no entry file). The report runtime src/standalone.ts is a fixed entry.
//
//   node build.mjs           minified production build (no sourcemaps)
//   node build.mjs --watch   rebuild on change, with inline sourcemaps
//
// The bundles are inlined into HTML reports, so they must never contain "</script" or "<!--".

import * as esbuild from "esbuild";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const outdir = join(here, "..", "mi_widgets", "static");
const watch = process.argv.includes("--watch");

const registryFile = join(here, "..", "mi_widgets", "widgets", "views.json");
const views = JSON.parse(readFileSync(registryFile, "utf8"));

const VIEW_PREFIX = "view:";
const entries = { standalone: join(here, "src", "standalone.ts") };
for (const { module } of views) entries[module] = VIEW_PREFIX + module;

/** The generated entry of a registered view: its controller wrapped by `defineView`. */
function viewEntry(module) {
  const view = views.find((entry) => entry.module === module);
  const file = join(here, "src", module, "view.ts");
  if (!existsSync(file)) throw new Error(`${relative(here, registryFile)} registers "${module}" but ${relative(here, file)} does not exist`);
  return [
    `import { ${view.controller} } from "./src/${module}/view";`,
    `import { defineView } from "./src/lib/define_view";`,
    `export default defineView(${view.controller});`,
  ].join("\n");
}

/** Resolve `view:<module>` entries to their generated source. */
const viewEntryPlugin = {
  name: "view-entries",
  setup(build) {
    build.onResolve({ filter: /^view:/ }, (args) => ({ path: args.path.slice(VIEW_PREFIX.length), namespace: "view-entry" }));
    build.onLoad({ filter: /.*/, namespace: "view-entry" }, (args) => ({
      contents: viewEntry(args.path),
      loader: "ts",
      resolveDir: here,
      watchFiles: [registryFile],
    }));
  },
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
  const context = await esbuild.context({ ...options, plugins: [viewEntryPlugin, checkPlugin] });
  await context.watch();
  console.log(`watching; writing to ${relative(process.cwd(), outdir)}`);
} else {
  await esbuild.build({ ...options, plugins: [viewEntryPlugin, checkPlugin] });
  if (process.exitCode) {
    console.error("build failed: a bundle is not safe to inline");
    process.exit(process.exitCode);
  }
}
