/**
 * Links between the views of an exported report: traits mirrored between two model
 * stand-ins, both ways (e.g. the head selected in a score grid and an attention view).
 * The same link data as in Python (`mi_widgets/widgets/link.py`, `Link.report_data`).
 *
 * A change is copied only when the other side differs, so a copy never comes back.
 */

/** A linked trait: one name used by both views, or `[source name, target name]`. */
export type LinkedTrait = string | [string, string];

/** A link from report data: traits of view `source` and of view `target` kept equal. */
export interface ReportLink {
  source: string;
  target: string;
  traits: LinkedTrait[];
}

/** What a link needs from a model. */
export interface LinkableModel {
  get(name: string): unknown;
  set(name: string, value: unknown): void;
  // biome-ignore lint/suspicious/noExplicitAny: handlers take what anywidget passes them, untyped
  on(event: string, callback: (...args: any[]) => void): void;
}

/** `[source name, target name]` of every trait of a link, or null when one is malformed. */
export function traitPairs(traits: unknown): [string, string][] | null {
  if (!Array.isArray(traits)) return null;
  const pairs: [string, string][] = [];
  for (const trait of traits) {
    if (typeof trait === "string") pairs.push([trait, trait]);
    else if (Array.isArray(trait) && trait.length === 2 && trait.every((name) => typeof name === "string")) {
      pairs.push([trait[0], trait[1]]);
    } else return null;
  }
  return pairs;
}

/** Copy trait `fromName` of `from` to `toName` of `to` when they differ. */
function copy(from: LinkableModel, fromName: string, to: LinkableModel, toName: string): void {
  const value = from.get(fromName);
  if (!Object.is(to.get(toName), value)) to.set(toName, value);
}

/** Copy `fromName` to `toName` now and on every change of `from`. */
function mirror(from: LinkableModel, fromName: string, to: LinkableModel, toName: string): void {
  from.on(`change:${fromName}`, () => copy(from, fromName, to, toName));
}

/** Wire every link whose two views exist; returns the links that were wired. */
export function linkModels(models: ReadonlyMap<string, LinkableModel>, links: readonly ReportLink[] | undefined): ReportLink[] {
  const wired: ReportLink[] = [];
  for (const link of links ?? []) {
    const source = models.get(link.source);
    const target = models.get(link.target);
    const pairs = traitPairs(link.traits);
    if (!source || !target || !pairs) {
      console.error(`mi_widgets: cannot link ${link.source} and ${link.target}`);
      continue;
    }
    for (const [from, to] of pairs) copy(source, from, target, to);
    for (const [from, to] of pairs) {
      mirror(source, from, target, to);
      mirror(target, to, source, from);
    }
    wired.push(link);
  }
  return wired;
}
