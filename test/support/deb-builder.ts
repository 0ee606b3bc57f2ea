/**
 * Builders of small synthetic ELF files, tar and ar archives and .debs for tests: real formats, written byte
 * by byte here so each test states exactly what the loader and deb-lock see.
 */
import { gzipSync } from "node:zlib";

export interface ElfSpec {
  bits?: 32 | 64;
  /** e_machine; default 62 (x86-64). */
  machine?: number;
  /** e_type; default 3 (shared object, also PIE executables). */
  type?: number;
  interpreter?: string;
  needed?: string[];
  soname?: string;
  rpath?: string;
  runpath?: string;
}

/** A minimal little-endian ELF file: one PT_LOAD over the whole file, PT_INTERP, PT_DYNAMIC. */
export function buildElf(spec: ElfSpec): Uint8Array {
  const bits = spec.bits ?? 64;
  const is64 = bits === 64;
  const ehsize = is64 ? 64 : 52;
  const phentsize = is64 ? 56 : 32;
  const dynent = is64 ? 16 : 8;
  const base = 0x400000;
  const enc = new TextEncoder();
  const strings: number[] = [0];
  const strOffset = (s: string): number => {
    const at = strings.length;
    strings.push(...enc.encode(s), 0);
    return at;
  };
  const dyn: [number, number][] = [];
  for (const n of spec.needed ?? []) dyn.push([1, strOffset(n)]);
  if (spec.soname !== undefined) dyn.push([14, strOffset(spec.soname)]);
  if (spec.rpath !== undefined) dyn.push([15, strOffset(spec.rpath)]);
  if (spec.runpath !== undefined) dyn.push([29, strOffset(spec.runpath)]);
  const hasDynamic = dyn.length > 0;
  const phnum = 1 + (spec.interpreter !== undefined ? 1 : 0) + (hasDynamic ? 1 : 0);
  const interpAt = ehsize + phnum * phentsize;
  const interpBytes = spec.interpreter === undefined ? new Uint8Array() : enc.encode(`${spec.interpreter}\0`);
  const strtabAt = interpAt + interpBytes.length;
  const dynAt = Math.ceil((strtabAt + strings.length) / 8) * 8;
  dyn.push([5, base + strtabAt], [0, 0]);
  const size = dynAt + (hasDynamic ? dyn.length * dynent : 0);
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, 1, 1], 0);
  const word = (off: number, val: number): void => (is64 ? v.setBigUint64(off, BigInt(val), true) : v.setUint32(off, val, true));
  v.setUint16(16, spec.type ?? 3, true);
  v.setUint16(18, spec.machine ?? 62, true);
  v.setUint32(20, 1, true);
  word(is64 ? 32 : 28, ehsize); // e_phoff
  v.setUint16(is64 ? 52 : 40, ehsize, true);
  v.setUint16(is64 ? 54 : 42, phentsize, true);
  v.setUint16(is64 ? 56 : 44, phnum, true);
  let ph = ehsize;
  const phdr = (type: number, offset: number, filesz: number): void => {
    v.setUint32(ph, type, true);
    word(ph + (is64 ? 8 : 4), offset);
    word(ph + (is64 ? 16 : 8), base + offset);
    word(ph + (is64 ? 24 : 12), base + offset);
    word(ph + (is64 ? 32 : 16), filesz);
    word(ph + (is64 ? 40 : 20), filesz);
    ph += phentsize;
  };
  phdr(1, 0, size);
  if (spec.interpreter !== undefined) phdr(3, interpAt, interpBytes.length);
  if (hasDynamic) phdr(2, dynAt, dyn.length * dynent);
  out.set(interpBytes, interpAt);
  out.set(strings, strtabAt);
  if (hasDynamic)
    dyn.forEach(([tag, val], i) => {
      word(dynAt + i * dynent, tag);
      word(dynAt + i * dynent + dynent / 2, val);
    });
  return out;
}

export type TarSpecEntry =
  | { path: string; kind: "dir"; mode?: number }
  | { path: string; kind: "file"; data: Uint8Array | string; mode?: number }
  | { path: string; kind: "symlink"; target: string }
  | { path: string; kind: "hardlink"; target: string };

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, "0")}\0`;
}

/** A ustar archive with dpkg-deb's `./path` names; GNU long-name entries for paths over 100 bytes. */
export function buildTar(entries: readonly TarSpecEntry[]): Uint8Array {
  const enc = new TextEncoder();
  const blocks: Uint8Array[] = [];
  const header = (name: string, type: string, size: number, mode: number, link = ""): Uint8Array => {
    const h = new Uint8Array(512);
    const put = (s: string, at: number): void => h.set(enc.encode(s), at);
    put(name.slice(0, 100), 0);
    put(octal(mode, 8), 100);
    put(octal(0, 8), 108);
    put(octal(0, 8), 116);
    put(octal(size, 12), 124);
    put(octal(0, 12), 136);
    put("        ", 148);
    put(type, 156);
    put(link.slice(0, 100), 157);
    put("ustar\0", 257);
    put("00", 263);
    let sum = 0;
    for (const b of h) sum += b;
    put(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
    return h;
  };
  const padded = (data: Uint8Array): Uint8Array => {
    const out = new Uint8Array(Math.ceil(data.length / 512) * 512);
    out.set(data);
    return out;
  };
  for (const e of entries) {
    const name = `.${e.path}${e.kind === "dir" && !e.path.endsWith("/") ? "/" : ""}`;
    if (enc.encode(name).length > 100) {
      const long = enc.encode(`${name}\0`);
      blocks.push(header("././@LongLink", "L", long.length, 0), padded(long));
    }
    const link = e.kind === "symlink" ? e.target : e.kind === "hardlink" ? `.${e.target}` : "";
    if (enc.encode(link).length > 100) {
      const long = enc.encode(`${link}\0`);
      blocks.push(header("././@LongLink", "K", long.length, 0), padded(long));
    }
    if (e.kind === "dir") blocks.push(header(name, "5", 0, e.mode ?? 0o755));
    else if (e.kind === "symlink") blocks.push(header(name, "2", 0, 0o777, e.target));
    else if (e.kind === "hardlink") blocks.push(header(name, "1", 0, 0o644, `.${e.target}`));
    else {
      const data = typeof e.data === "string" ? enc.encode(e.data) : e.data;
      blocks.push(header(name, "0", data.length, e.mode ?? 0o644), padded(data));
    }
  }
  blocks.push(new Uint8Array(1024));
  const total = blocks.reduce((n, b) => n + b.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const b of blocks) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}

/** An ar archive as dpkg-deb writes it. */
export function buildAr(members: readonly { name: string; data: Uint8Array }[]): Uint8Array {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [enc.encode("!<arch>\n")];
  for (const m of members) {
    parts.push(
      enc.encode(`${m.name.padEnd(16)}${"0".padEnd(12)}${"0".padEnd(6)}${"0".padEnd(6)}${"100644".padEnd(8)}${String(m.data.length).padEnd(10)}\`\n`),
    );
    parts.push(m.data);
    if (m.data.length % 2 === 1) parts.push(enc.encode("\n"));
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export interface DebSpec {
  files: TarSpecEntry[];
  postinst?: string;
  /** How data.tar is compressed: gz (default), none, or a name deb-lock does not read (e.g. `bz2`). */
  compression?: "gz" | "none" | "bz2";
}

/** A .deb: debian-binary, control.tar.gz (control, postinst), data.tar[.gz]. */
export function buildDeb(spec: DebSpec): Uint8Array {
  const control = buildTar([
    { path: "/control", kind: "file", data: "Package: test\nVersion: 1\nArchitecture: amd64\n" },
    ...(spec.postinst === undefined ? [] : [{ path: "/postinst", kind: "file" as const, data: spec.postinst, mode: 0o755 }]),
  ]);
  const data = buildTar(spec.files);
  const compression = spec.compression ?? "gz";
  const dataMember =
    compression === "none"
      ? { name: "data.tar", data }
      : compression === "gz"
        ? { name: "data.tar.gz", data: gzipSync(data) }
        : { name: "data.tar.bz2", data: gzipSync(data) };
  return buildAr([
    { name: "debian-binary", data: new TextEncoder().encode("2.0\n") },
    { name: "control.tar.gz", data: gzipSync(control) },
    dataMember,
  ]);
}
