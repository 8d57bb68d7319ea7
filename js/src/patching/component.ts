/**
 * The name of the component a patching cell patched: `L1H3` for a head, `L1 at "tok"` for a
 * layer at one position, `L1` for a layer over all positions.
 */

/** `row` and `column` are the cell's labels; `axis` is the column axis ("head", "position", "all positions"). */
export function componentName(row: string, column: string, axis: string): string {
  if (axis === "head") return `${row}${column}`;
  if (axis === "position") return `${row} at ${JSON.stringify(column)}`;
  return row;
}
