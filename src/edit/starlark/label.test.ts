import { describe, expect, it } from "vitest";
import { labelPath, parseLabel } from "./label.js";

describe("parseLabel", () => {
  it("splits main-repository labels into package and target", () => {
    expect(parseLabel("//base:static_root_amd64_debian12", "cc")).toEqual({ pkg: "base", name: "static_root_amd64_debian12" });
    expect(parseLabel("@//java", "cc")).toEqual({ pkg: "java", name: "java" });
    expect(parseLabel("@@//a/b:c", "cc")).toEqual({ pkg: "a/b", name: "c" });
    expect(parseLabel("//:x", "cc")).toEqual({ pkg: "", name: "x" });
    expect(parseLabel(":cc_root_amd64_debian12", "cc")).toEqual({ pkg: "cc", name: "cc_root_amd64_debian12" });
    expect(parseLabel(" x ", "cc")).toEqual({ pkg: "cc", name: "x" });
  });

  it("refuses other repositories' labels and malformed ones", () => {
    for (const bad of ["@distroless_base//:static", "@rules_oci//oci:defs.bzl", "//a/b:", "//a:b:c", "/abs", "", "//a/b/"])
      expect(parseLabel(bad, "cc"), bad).toBeUndefined();
  });

  it("gives the path of the file a label names", () => {
    expect(labelPath("//a/b:c.yaml", "x")).toBe("a/b/c.yaml");
    expect(labelPath("c.yaml", "")).toBe("c.yaml");
    expect(labelPath(":c.yaml", "p")).toBe("p/c.yaml");
    expect(labelPath("//a/b", "")).toBe("a/b/b");
    expect(labelPath("@foo//a:b", "")).toBeUndefined();
  });
});
