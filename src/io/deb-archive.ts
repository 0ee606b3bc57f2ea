import * as zlib from "node:zlib";
import { DebLockError, ProblemError } from "../core/errors.js";
import { parseAr } from "../core/image/ar.js";
import { parseTar, type TarEntry } from "../core/image/tar.js";
import { decompress } from "./decompress.js";

/** A .deb's two archives, read into memory: the data (the files it installs) and the control (its scripts). */
export interface DebArchives {
  readonly data: readonly TarEntry[];
  readonly control: readonly TarEntry[];
}

/**
 * zstd (Ubuntu's and some third-party .debs compress with it): Node's own decoder where it has one (Node ≥ 22.15),
 * else fzstd, a dependency-free JavaScript decoder (Node 20 has no zstd).
 */
const nodeZstd = (zlib as { zstdDecompressSync?: (bytes: Uint8Array) => Uint8Array }).zstdDecompressSync;
async function unzstd(bytes: Uint8Array): Promise<Uint8Array> {
  if (nodeZstd !== undefined) return nodeZstd(bytes);
  const { decompress } = await import("fzstd"); // loaded once: Node keeps the module
  return decompress(bytes);
}

function unreadable(url: string, what: string, hint: string): ProblemError {
  return new ProblemError("DEB_UNREADABLE", `${url}: ${what}`, { hint });
}

async function unpackMember(name: string, bytes: Uint8Array, url: string): Promise<Uint8Array> {
  const ext = name.slice(name.lastIndexOf(".tar") + 4);
  try {
    switch (ext) {
      case "":
        return bytes;
      case ".xz":
        return await decompress(bytes, "xz", { label: `${url} (${name})` });
      case ".gz":
        return await decompress(bytes, "gz", { label: `${url} (${name})` });
      case ".zst":
        return await unzstd(bytes);
      default:
        throw unreadable(
          url,
          `member ${name} uses a compression deb-lock cannot read (${ext.slice(1)})`,
          "deb-lock reads data.tar, data.tar.xz, data.tar.zst and data.tar.gz (what dpkg-deb writes); rebuild the package with one of those",
        );
    }
  } catch (error) {
    if (error instanceof ProblemError) throw error;
    const detail = error instanceof DebLockError ? error.message : error instanceof Error ? error.message : String(error);
    throw unreadable(
      url,
      `member ${name} does not decompress (${detail})`,
      "the file matches the lock's SHA-256, so the lock records a damaged package: relock it from a good mirror",
    );
  }
}

/** Reads a .deb's data and control archives. A damaged package is a ProblemError naming `url`. */
export async function readDebArchives(bytes: Uint8Array, url: string): Promise<DebArchives> {
  const ar = parseAr(bytes);
  if (!ar.ok)
    throw unreadable(
      url,
      `not a readable .deb: ${ar.problem}`,
      "the file matches the lock's SHA-256, so the lock records a damaged package: relock it from a good mirror",
    );
  const data = ar.members.find((m) => m.name.startsWith("data.tar"));
  const control = ar.members.find((m) => m.name.startsWith("control.tar"));
  if (data === undefined || control === undefined) {
    throw unreadable(
      url,
      `not a .deb: no ${data === undefined ? "data.tar" : "control.tar"} member (members: ${ar.members.map((m) => m.name).join(", ") || "none"})`,
      "check that the lock's URL names a Debian binary package",
    );
  }
  const [dataTar, controlTar] = await Promise.all([unpackMember(data.name, data.data, url), unpackMember(control.name, control.data, url)]);
  const d = parseTar(dataTar);
  if (!d.ok)
    throw unreadable(
      url,
      `${data.name}: ${d.problem}`,
      "the file matches the lock's SHA-256, so the lock records a damaged package: relock it from a good mirror",
    );
  const c = parseTar(controlTar);
  if (!c.ok)
    throw unreadable(
      url,
      `${control.name}: ${c.problem}`,
      "the file matches the lock's SHA-256, so the lock records a damaged package: relock it from a good mirror",
    );
  return { data: d.entries, control: c.entries };
}
