import { describe, expect, it } from "vitest";
import { componentName } from "../src/patching/component";

describe("the patched component's name", () => {
  it("names the head, the layer at a position, or the layer", () => {
    expect(componentName("L1", "H3", "head")).toBe("L1H3");
    expect(componentName("L1H0", " Mary", "position")).toBe('L1H0 at " Mary"');
    expect(componentName("L2", "all positions", "all positions")).toBe("L2");
  });
});
