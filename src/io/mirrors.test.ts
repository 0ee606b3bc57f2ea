import { describe, expect, it } from "vitest";
import { UsageError } from "../core/errors.js";
import { applyMirrors, parseMirrorRules } from "./mirrors.js";

const SNAP = "https://snapshot.debian.org/archive/debian/20240706T203757Z";

describe("parseMirrorRules", () => {
  it("reads repeatable flags and the comma-separated environment variable, flags first", () => {
    const rules = parseMirrorRules(
      ["https://a.example/x=https://b.example/y/"],
      "https://c.example/=http://d.example, https://e.example/p/=https://f.example/q",
    );
    expect(rules).toEqual([
      { from: "https://a.example/x", to: "https://b.example/y" },
      { from: "https://c.example", to: "http://d.example" },
      { from: "https://e.example/p", to: "https://f.example/q" },
    ]);
  });

  it("accepts a file:/// target for a local copy", () => {
    expect(parseMirrorRules(["https://a.example/debian=file:///srv/mirror/debian/"], undefined)).toEqual([
      { from: "https://a.example/debian", to: "file:///srv/mirror/debian" },
    ]);
    expect(() => parseMirrorRules(["https://a.example/debian=file://"], undefined)).toThrow(/not an absolute URL/);
  });

  it("returns no rules for no input and ignores empty env entries", () => {
    expect(parseMirrorRules([], undefined)).toEqual([]);
    expect(parseMirrorRules([], " , ")).toEqual([]);
  });

  it("keeps the first rule for a repeated FROM", () => {
    expect(parseMirrorRules(["https://a/x=https://b", "https://a/x/=https://c"], "https://a/x=https://d")).toEqual([
      { from: "https://a/x", to: "https://b" },
    ]);
  });

  it.each([
    ["no-equals-sign", /no "="/],
    ["=https://b.example", /empty FROM/],
    ["https://a.example=", /empty TO/],
    ["a.example/debian=https://b.example", /not an absolute URL/],
  ])("rejects %s with a UsageError naming the rule", (bad, message) => {
    let caught: unknown;
    try {
      parseMirrorRules([bad], undefined);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(UsageError);
    expect((caught as UsageError).code).toBe("BAD_MIRROR_RULE");
    expect((caught as UsageError).message).toContain(bad);
    expect((caught as UsageError).message).toMatch(message);
    expect((caught as UsageError).hint).toMatch(/FROM=TO/);
  });

  it("names the environment variable when the bad rule came from it", () => {
    expect(() => parseMirrorRules([], "https://a=https://b,oops")).toThrow(/DEB_LOCK_MIRRORS: mirror rule "oops"/);
  });
});

describe("applyMirrors", () => {
  const rules = parseMirrorRules(
    [`https://snapshot.debian.org/archive=http://127.0.0.1:8080/snap/`, `${SNAP}/=http://local.example/bookworm`],
    undefined,
  );

  it("uses the longest matching FROM", () => {
    expect(applyMirrors(`${SNAP}/dists/bookworm/InRelease`, rules)).toBe("http://local.example/bookworm/dists/bookworm/InRelease");
    expect(applyMirrors("https://snapshot.debian.org/archive/debian-security/20240706T000000Z/dists/x", rules)).toBe(
      "http://127.0.0.1:8080/snap/debian-security/20240706T000000Z/dists/x",
    );
  });

  it("matches only at a path boundary and leaves other URLs alone", () => {
    const r = parseMirrorRules(["https://a.example/debian=https://m.example/d"], undefined);
    expect(applyMirrors("https://a.example/debian-security/dists/x", r)).toBe("https://a.example/debian-security/dists/x");
    expect(applyMirrors("https://a.example/debian", r)).toBe("https://m.example/d");
    expect(applyMirrors("https://other.example/debian/x", r)).toBe("https://other.example/debian/x");
  });

  it("is the identity with no rules", () => {
    expect(applyMirrors(`${SNAP}/pool/main/x.deb`, [])).toBe(`${SNAP}/pool/main/x.deb`);
  });
});
