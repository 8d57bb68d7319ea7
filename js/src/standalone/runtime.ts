/**
 * The runtime of exported HTML reports: read the embedded data, set the theme, and render
 * every view with its anywidget module and a model stand-in. No network, no kernel.
 */

import { BlobStore, reviveBlobs } from "./blobs";
import { linkModels, type ReportLink } from "./links";
import { StandInModel, type EmbeddedSlice } from "./model";

export interface ReportView {
  id: string;
  module: string;
  state: Record<string, unknown>;
  slices?: Record<string, EmbeddedSlice>;
}

export interface ReportData {
  theme?: "light" | "dark" | "auto";
  modules: Record<string, string>;
  views: ReportView[];
  /** Traits kept equal between two views (see `links.ts`). */
  links?: ReportLink[];
}

interface WidgetDef {
  initialize?: (props: Record<string, unknown>) => unknown;
  render?: (props: Record<string, unknown>) => unknown;
}

/** Set `body[data-jp-theme-light]` (and the page colour scheme) from the report theme. */
export function applyPageTheme(doc: Document, theme: ReportData["theme"]): void {
  const media = doc.defaultView?.matchMedia?.("(prefers-color-scheme: dark)");
  const update = () => {
    const dark = theme === "dark" || (theme !== "light" && media?.matches === true);
    doc.body.dataset.jpThemeLight = String(!dark);
    doc.documentElement.style.colorScheme = dark ? "dark" : "light";
  };
  update();
  if (theme !== "light" && theme !== "dark") media?.addEventListener?.("change", update);
}

/** Import a module from its source through a Blob URL, once per module name. */
function moduleLoader(modules: Record<string, string>): (name: string) => Promise<WidgetDef> {
  const loaded = new Map<string, Promise<WidgetDef>>();
  return (name) => {
    let promise = loaded.get(name);
    if (!promise) {
      const source = modules[name];
      if (typeof source !== "string") return Promise.reject(new Error(`module "${name}" is not in this report`));
      const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
      promise = import(/* @vite-ignore */ url).then(async (mod: Record<string, unknown>) => {
        URL.revokeObjectURL(url);
        const def = (mod.default ?? mod) as WidgetDef | (() => Promise<WidgetDef> | WidgetDef);
        return typeof def === "function" ? await def() : def;
      });
      loaded.set(name, promise);
    }
    return promise;
  };
}

const experimental = {
  invoke: () => Promise.reject(new Error("no kernel behind an exported report")),
};
const host = {
  getWidget: () => Promise.reject(new Error("no widget manager in an exported report")),
  getModel: () => Promise.reject(new Error("no widget manager in an exported report")),
};

/** The model stand-in of a view, its blobs decoded. */
function makeModel(view: ReportView, blobs: BlobStore): StandInModel {
  const state = reviveBlobs(view.state ?? {}, blobs) as Record<string, unknown>;
  return new StandInModel(state, view.slices ?? {}, blobs);
}

async function renderView(view: ReportView, model: StandInModel, el: HTMLElement, load: (name: string) => Promise<WidgetDef>) {
  const widget = await load(view.module);
  const signal = new AbortController().signal;
  await widget.initialize?.({ model, signal, experimental });
  if (typeof widget.render !== "function") throw new Error(`module "${view.module}" has no render function`);
  await widget.render({ model, el, signal, host, experimental });
}

/** Show an error in place of a view (as text). */
function showError(el: HTMLElement, error: unknown): void {
  const box = el.ownerDocument.createElement("div");
  box.className = "mi-error";
  box.style.cssText = "padding:10px;border:1px solid #c0392b;color:#c0392b;font-family:sans-serif;white-space:pre-wrap";
  box.textContent = `This view could not be shown: ${error instanceof Error ? error.message : String(error)}`;
  el.replaceChildren(box);
}

/** Render every view of the report in `doc`; resolves when all are done (or failed). */
export async function runReport(doc: Document = document): Promise<void> {
  const script = doc.getElementById("mi-widgets-data");
  if (!script) {
    console.error("mi_widgets: no #mi-widgets-data element in this page");
    return;
  }
  let data: ReportData;
  try {
    data = JSON.parse(script.textContent ?? "") as ReportData;
  } catch (error) {
    console.error("mi_widgets: cannot read the report data", error);
    for (const el of doc.querySelectorAll<HTMLElement>(".mi-widgets-view")) showError(el, error);
    return;
  }
  applyPageTheme(doc, data.theme);
  const blobs = new BlobStore(doc);
  const load = moduleLoader(data.modules ?? {});
  const models = new Map<string, StandInModel>();
  const failed = new Map<string, unknown>();
  for (const view of data.views ?? []) {
    try {
      models.set(view.id, makeModel(view, blobs));
    } catch (error) {
      failed.set(view.id, error);
    }
  }
  linkModels(models, data.links);
  await Promise.all(
    (data.views ?? []).map(async (view) => {
      const el = doc.getElementById(view.id);
      if (!el) {
        console.error(`mi_widgets: no element for view ${view.id}`);
        return;
      }
      try {
        const model = models.get(view.id);
        if (!model) throw failed.get(view.id);
        await renderView(view, model, el, load);
      } catch (error) {
        console.error(`mi_widgets: view ${view.id} failed`, error);
        showError(el, error);
      }
    }),
  );
}
