/**
 * Links between the views of an exported report: named traits mirrored between two model
 * stand-ins, both ways (e.g. the head selected in a score grid and an attention view).
 *
 * A change is copied only when the other side differs, so a copy never comes back.
 */

/** A link from report data: the traits of view `source` and view `target` kept equal. */
export interface ReportLink {
  source: string;
  target: string;
  traits: string[];
}

/** What a link needs from a model. */
export interface LinkableModel {
  get(name: string): unknown;
  set(name: string, value: unknown): void;
  // biome-ignore lint/suspicious/noExplicitAny: handlers take what anywidget passes them, untyped
  on(event: string, callback: (...args: any[]) => void): void;
}

/** Copy `traits` from `from` to `to` now and on every change of `from`. */
function mirror(from: LinkableModel, to: LinkableModel, traits: readonly string[]): void {
  for (const name of traits) {
    from.on(`change:${name}`, () => {
      const value = from.get(name);
      if (!Object.is(to.get(name), value)) to.set(name, value);
    });
  }
}

/** Wire every link whose two views exist; returns the links that were wired. */
export function linkModels(models: ReadonlyMap<string, LinkableModel>, links: readonly ReportLink[] | undefined): ReportLink[] {
  const wired: ReportLink[] = [];
  for (const link of links ?? []) {
    const source = models.get(link.source);
    const target = models.get(link.target);
    if (!source || !target || !Array.isArray(link.traits)) {
      console.error(`mi_widgets: cannot link ${link.source} and ${link.target}`);
      continue;
    }
    for (const name of link.traits) {
      const value = source.get(name);
      if (!Object.is(target.get(name), value)) target.set(name, value);
    }
    mirror(source, target, link.traits);
    mirror(target, source, link.traits);
    wired.push(link);
  }
  return wired;
}
