// The least a cold `lock` of two .xz indexes can take, for target (d): start Node, decode both indexes at once,
// drop the output. No verification, parsing, resolution or writing.
//
//   node bench/decode-floor.mjs liblzma A.xz B.xz   deb-lock's own decoder (src/io/decompress.ts)
//   node bench/decode-floor.mjs xz A.xz B.xz        an `xz -dc` child process per index (XZ Utils, what `xzcat` is)
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { decompressChunks } from "../dist/io/decompress.js";

const [decoder, ...files] = process.argv.slice(2);

function viaXzUtils(path) {
  return new Promise((resolve, reject) => {
    const child = spawn("xz", ["-dc", path], { stdio: ["ignore", "pipe", "inherit"] });
    let bytes = 0;
    child.stdout.on("data", (chunk) => {
      bytes += chunk.byteLength;
    });
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(bytes) : reject(new Error(`xz -dc ${path}: exit ${code}`))));
  });
}

async function viaLiblzma(path) {
  return decompressChunks(await readFile(path), "xz", { label: path }, () => {});
}

const sizes = await Promise.all(files.map(decoder === "xz" ? viaXzUtils : viaLiblzma));
if (sizes.some((size) => size === 0)) throw new Error(`decoded nothing from ${files.join(", ")}`);
