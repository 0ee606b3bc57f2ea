import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { VerificationError } from "../core/errors.js";
import { compressionOf, decompress, decompressChunks } from "./decompress.js";

// Four real stanzas from Debian bookworm main/binary-amd64/Packages, compressed with xz -9 and gzip -9n.
const FIX = join(import.meta.dirname, "../../test/fixtures/io");
const plain = new Uint8Array(readFileSync(join(FIX, "Packages")));
const xz = new Uint8Array(readFileSync(join(FIX, "Packages.xz")));
const gz = new Uint8Array(readFileSync(join(FIX, "Packages.gz")));
// The same stanzas 300 times over: decompresses to many output chunks.
const xzBig = new Uint8Array(readFileSync(join(FIX, "Packages-x300.xz")));

async function corruptError(p: Promise<unknown>): Promise<VerificationError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(VerificationError);
    return e as VerificationError;
  }
  throw new Error("expected a CORRUPT_INDEX error");
}

function repeat(bytes: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(bytes.byteLength * n);
  for (let i = 0; i < n; i++) out.set(bytes, i * bytes.byteLength);
  return out;
}

async function* inPieces(bytes: Uint8Array, size: number): AsyncIterable<Uint8Array> {
  for (let i = 0; i < bytes.byteLength; i += size) yield bytes.subarray(i, i + size);
}

describe("decompress", () => {
  it("decodes xz, gz and none to the same bytes", async () => {
    expect(new TextDecoder().decode(plain)).toMatch(/^Package: /);
    expect(await decompress(xz, "xz", { label: "Packages.xz" })).toEqual(plain);
    expect(await decompress(gz, "gz", { label: "Packages.gz" })).toEqual(plain);
    expect(await decompress(plain, "none", { label: "Packages" })).toBe(plain);
  });

  it("decodes an xz file spanning many output chunks", async () => {
    const out = await decompress(xzBig, "xz", { label: "Packages-x300.xz" });
    expect(out.byteLength).toBe(plain.byteLength * 300);
    expect(Buffer.from(out).equals(repeat(plain, 300))).toBe(true);
  });

  it("decodes concatenated gzip members", async () => {
    const two = new Uint8Array([...gz, ...gzipSync(Buffer.from("Package: extra\n"))]);
    expect(new TextDecoder().decode(await decompress(two, "gz", { label: "two.gz" }))).toBe(`${new TextDecoder().decode(plain)}Package: extra\n`);
  });

  it.each([
    ["xz", () => xz.subarray(0, xz.byteLength - 20), /unexpected end of data/],
    ["xz", () => flipByte(xz, 700), /corrupt data/],
    ["xz", () => gz, /not an xz file/],
    ["xz", () => new Uint8Array(), /unexpected end of data/],
    ["gz", () => gz.subarray(0, gz.byteLength - 30), /unexpected end of file/],
    ["gz", () => flipByte(gz, 600), /./],
    ["gz", () => xz, /incorrect header check/],
  ] as const)("reports damaged %s data as CORRUPT_INDEX naming the file", async (kind, bytes, detail) => {
    const url = `https://snapshot.debian.org/archive/debian/20240706T203757Z/dists/bookworm/main/binary-amd64/Packages.${kind}`;
    const e = await corruptError(decompress(bytes(), kind, { label: url }));
    expect(e.code).toBe("CORRUPT_INDEX");
    expect(e.message).toContain(url);
    expect(e.message).toMatch(detail);
    expect(e.url).toBe(url);
    expect(e.hint).toMatch(/mirror/);
  });

  it("keeps working after a failure, and decodes several files at once", async () => {
    await corruptError(decompress(flipByte(xz, 700), "xz", { label: "bad.xz" }));
    const outs = await Promise.all([
      decompress(xz, "xz", { label: "a" }),
      decompress(xzBig, "xz", { label: "b" }),
      decompress(xz, "xz", { label: "c" }),
      decompress(gz, "gz", { label: "d" }),
    ]);
    expect(outs[0]).toEqual(plain);
    expect(outs[1]!.byteLength).toBe(plain.byteLength * 300);
    expect(outs[2]).toEqual(plain);
    expect(outs[3]).toEqual(plain);
  });
});

describe("decompressChunks", () => {
  it.each(["xz", "gz", "none"] as const)("streams %s input arriving in small pieces", async (kind) => {
    const input = kind === "xz" ? xz : kind === "gz" ? gz : plain;
    const chunks: Uint8Array[] = [];
    const total = await decompressChunks(inPieces(input, 97), kind, { label: "Packages" }, (c) => chunks.push(c));
    expect(total).toBe(plain.byteLength);
    expect(Buffer.concat(chunks)).toEqual(Buffer.from(plain));
  });

  it("hands over many chunks in order for a large xz file", async () => {
    const chunks: Uint8Array[] = [];
    const total = await decompressChunks(inPieces(xzBig, 512), "xz", { label: "big" }, (c) => chunks.push(c));
    expect(chunks.length).toBeGreaterThan(1);
    expect(total).toBe(plain.byteLength * 300);
    expect(Buffer.concat(chunks).equals(repeat(plain, 300))).toBe(true);
  });

  it.each(["xz", "gz"] as const)("passes errors of the consumer and of the %s input through unchanged, then works again", async (kind) => {
    const input = kind === "xz" ? xzBig : gz;
    const parseError = new Error("bad stanza");
    await expect(
      decompressChunks(input, kind, { label: "x" }, () => {
        throw parseError;
      }),
    ).rejects.toBe(parseError);
    const networkError = new Error("socket hang up");
    async function* failing(): AsyncIterable<Uint8Array> {
      yield input.subarray(0, 200);
      throw networkError;
    }
    await expect(decompressChunks(failing(), kind, { label: "x" }, () => {})).rejects.toBe(networkError);
    expect(await decompress(input, kind, { label: "again" })).toHaveLength(kind === "xz" ? plain.byteLength * 300 : plain.byteLength);
  });

  it("gz: many output chunks arrive whole and in order while the next ones inflate; none after a consumer error", async () => {
    const big = repeat(plain, 400); // 1.4 MB: several 256 KiB output chunks
    const chunks: Uint8Array[] = [];
    const total = await decompressChunks(gzipSync(big), "gz", { label: "big.gz" }, (c) => chunks.push(c));
    expect(chunks.length).toBeGreaterThan(3);
    expect(total).toBe(big.byteLength);
    expect(Buffer.concat(chunks).equals(big)).toBe(true);

    const stop = new Error("bad stanza in chunk 2");
    let calls = 0;
    await expect(
      decompressChunks(gzipSync(big), "gz", { label: "big.gz" }, () => {
        if (++calls === 2) throw stop;
      }),
    ).rejects.toBe(stop);
    expect(calls).toBe(2);
  });

  it("reports truncated streamed xz input", async () => {
    const e = await corruptError(decompressChunks(inPieces(xz.subarray(0, 900), 100), "xz", { label: "cut.xz" }, () => {}));
    expect(e.message).toMatch(/cut\.xz: not valid xz data \(unexpected end of data\)/);
  });
});

describe("bounded output", () => {
  it.each(["xz", "gz", "none"] as const)("%s: stops with DECOMPRESSED_TOO_LARGE past maxBytes, and accepts exactly maxBytes", async (kind) => {
    const input = kind === "xz" ? xz : kind === "gz" ? gz : plain;
    await expect(decompress(input, kind, { label: "Packages", maxBytes: plain.byteLength })).resolves.toEqual(plain);
    const error = await decompress(input, kind, { label: "https://example.org/debian/dists/x/Packages", maxBytes: plain.byteLength - 1 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(VerificationError);
    expect(error).toMatchObject({ code: "DECOMPRESSED_TOO_LARGE", url: "https://example.org/debian/dists/x/Packages" });
  });

  it("stops a large xz stream early, without handing on more than maxBytes", async () => {
    let handed = 0;
    const maxBytes = 300 * 1024;
    await expect(decompressChunks(xzBig, "xz", { label: "big", maxBytes }, (c) => (handed += c.byteLength))).rejects.toMatchObject({
      code: "DECOMPRESSED_TOO_LARGE",
    });
    expect(handed).toBeLessThanOrEqual(maxBytes);
  });
});

describe("compressionOf", () => {
  it("reads the kind from the file name", () => {
    expect(compressionOf("main/binary-amd64/Packages.xz")).toBe("xz");
    expect(compressionOf("main/binary-amd64/Packages.gz")).toBe("gz");
    expect(compressionOf("main/binary-amd64/Packages")).toBe("none");
  });
});

function flipByte(bytes: Uint8Array, at: number): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[at] = copy[at]! ^ 0xff;
  return copy;
}
