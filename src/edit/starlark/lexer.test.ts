import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ParseError } from "../../core/errors.js";
import { decodeStringToken, lexStarlark, positionOf } from "./lexer.js";

const kinds = (text: string) => lexStarlark(text).map((t) => [t.kind, t.text]);

describe("lexStarlark", () => {
  it("keeps every byte: comments, blank lines, CRLF, continuations and no final newline", () => {
    const text = '# head\r\nx = [  # c\n\t"a",\\\n  r"b\\"" ,\n]\n\n  y=0x1F+.5e3 # tail';
    const tokens = lexStarlark(text);
    expect(tokens.map((t) => t.text).join("")).toBe(text);
    for (let i = 1; i < tokens.length; i++) expect(tokens[i]!.start).toBe(tokens[i - 1]!.end);
    expect(kinds(text)).toEqual([
      ["comment", "# head"],
      ["newline", "\r\n"],
      ["ident", "x"],
      ["space", " "],
      ["op", "="],
      ["space", " "],
      ["op", "["],
      ["space", "  "],
      ["comment", "# c"],
      ["newline", "\n"],
      ["space", "\t"],
      ["string", '"a"'],
      ["op", ","],
      ["space", "\\\n  "],
      ["string", 'r"b\\""'],
      ["space", " "],
      ["op", ","],
      ["newline", "\n"],
      ["op", "]"],
      ["newline", "\n"],
      ["newline", "\n"],
      ["space", "  "],
      ["ident", "y"],
      ["op", "="],
      ["number", "0x1F"],
      ["op", "+"],
      ["number", ".5e3"],
      ["space", " "],
      ["comment", "# tail"],
    ]);
  });

  it("reads every string form: quotes, triple quotes spanning lines, raw and bytes prefixes", () => {
    const text = `'a' "b" """c\n"d"\n""" '''e''' rb'f' Br"g" b"\\x41"`;
    expect(
      lexStarlark(text)
        .filter((t) => t.kind === "string")
        .map((t) => t.text),
    ).toEqual(["'a'", '"b"', '"""c\n"d"\n"""', "'''e'''", "rb'f'", 'Br"g"', 'b"\\x41"']);
  });

  it("takes the longest operator", () => {
    expect(
      kinds("a//=b**c<<=d->e!=f")
        .filter(([k]) => k === "op")
        .map(([, t]) => t),
    ).toEqual(["//=", "**", "<<=", "->", "!="]);
  });

  it("reports an unterminated string with its line and column", () => {
    let err: unknown;
    try {
      lexStarlark('x = 1\ny = "abc\n', "pkg/BUILD");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ParseError);
    expect(err).toMatchObject({ code: "STARLARK_UNTERMINATED_STRING", file: "pkg/BUILD", line: 2, col: 5 });
    expect(() => lexStarlark('"""never closed')).toThrow(ParseError);
  });

  it("rejects characters Starlark does not have", () => {
    expect(() => lexStarlark("x = $y")).toThrow(expect.objectContaining({ code: "STARLARK_BAD_CHARACTER", line: 1, col: 5 }));
  });

  it("decodes string values", () => {
    expect(decodeStringToken('"a\\tb\\"c\\\\"')).toBe('a\tb"c\\');
    expect(decodeStringToken("r'a\\tb'")).toBe("a\\tb");
    expect(decodeStringToken('"""x\ny"""')).toBe("x\ny");
    expect(decodeStringToken('"\\x41\\u00e9\\101"')).toBe("Aé" + "A");
  });

  it("positionOf counts lines and columns from 1", () => {
    expect(positionOf("ab\ncd", 4)).toEqual({ line: 2, col: 2 });
    expect(positionOf("ab", 0)).toEqual({ line: 1, col: 1 });
  });

  it("round-trips any text built from Starlark-ish pieces", () => {
    const piece = fc.constantFrom(
      "x",
      "deb.package",
      "(",
      ")",
      "[",
      "]",
      ",",
      " ",
      "\t",
      "\n",
      "\r\n",
      "# c\n",
      '"s"',
      "'t'",
      'r"\\d"',
      '"""m\nl"""',
      "12",
      "0x1f",
      "=",
      "+",
      "//",
      "\\\n",
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), (parts) => {
        const text = parts.join("");
        expect(
          lexStarlark(text)
            .map((t) => t.text)
            .join(""),
        ).toBe(text);
      }),
      { numRuns: 300 },
    );
  });
});
