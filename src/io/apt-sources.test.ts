import { describe, expect, it } from "vitest";
import { parseAptSources } from "./apt-sources.js";

describe("parseAptSources", () => {
  it("reads deb822 and one-line sources, ignoring other repositories", () => {
    const deb822 = [
      "Types: deb",
      "URIs: http://mirror.example/debian",
      "Suites: bookworm bookworm-updates",
      "",
      "Types: deb",
      "URIs: http://mirror.example/debian-security/",
      "Suites: bookworm-security",
    ].join("\n");
    const oneLine = "deb [signed-by=/x.gpg] https://other.example/apt stable main\n";
    expect(parseAptSources([oneLine, deb822])).toEqual({
      debian: "http://mirror.example/debian",
      debianSecurity: "http://mirror.example/debian-security",
    });
  });

  it("returns nothing when no Debian archive is configured", () => {
    expect(parseAptSources(["deb https://other.example/apt stable main"])).toEqual({});
  });
});
