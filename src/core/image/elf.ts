/**
 * What the dynamic loader reads of an ELF file: class, byte order, machine, type, the program interpreter
 * (PT_INTERP) and the dynamic section's DT_NEEDED, DT_SONAME, DT_RPATH, DT_RUNPATH and DF_1_NODEFLIB.
 * Hand-written: these are a few fixed-offset reads over program headers, and the npm ELF readers are small,
 * unmaintained and parse far more than this (see the README's "verify" section).
 */

export interface ElfInfo {
  /** 32 or 64 (ELFCLASS32 / ELFCLASS64). */
  readonly bits: 32 | 64;
  readonly bigEndian: boolean;
  /** e_machine, e.g. 62 (x86-64), 183 (AArch64). */
  readonly machine: number;
  /** e_type: 2 executable, 3 shared object (also PIE executables), 1 relocatable, 4 core. */
  readonly type: number;
  readonly interpreter?: string;
  readonly needed: readonly string[];
  readonly soname?: string;
  readonly rpath?: string;
  readonly runpath?: string;
  /** DF_1_NODEFLIB: the default directories are not searched for this object's dependencies. */
  readonly nodeflib?: boolean;
}

export type ElfResult = { readonly ok: true; readonly elf: ElfInfo } | { readonly ok: false; readonly problem: string } | undefined;

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PT_INTERP = 3;
const DT_NULL = 0;
const DT_NEEDED = 1;
const DT_STRTAB = 5;
const DT_SONAME = 14;
const DT_RPATH = 15;
const DT_RUNPATH = 29;
const DT_FLAGS_1 = 0x6ffffffb;
const DF_1_NODEFLIB = 0x800;

const MACHINES: Readonly<Record<number, string>> = {
  3: "i386",
  8: "MIPS",
  20: "PowerPC",
  21: "PowerPC64",
  22: "S/390",
  40: "ARM",
  62: "x86-64",
  183: "AArch64",
  243: "RISC-V",
  258: "LoongArch",
};

/** `x86-64`, `AArch64`, ... for messages. */
export function machineName(machine: number): string {
  return MACHINES[machine] ?? `machine ${machine}`;
}

/** Whether the bytes start like an ELF file. */
export function isElf(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
}

const decoder = new TextDecoder();

/** Parses an ELF file's loader-relevant parts; undefined when the bytes are not ELF; a problem when damaged. */
export function parseElf(bytes: Uint8Array): ElfResult {
  if (!isElf(bytes)) return undefined;
  if (bytes.byteLength < 52) return { ok: false, problem: "truncated ELF header" };
  const cls = bytes[4];
  const order = bytes[5];
  if ((cls !== 1 && cls !== 2) || (order !== 1 && order !== 2)) return { ok: false, problem: `unknown ELF class ${cls} or byte order ${order}` };
  const bits = cls === 2 ? 64 : 32;
  const le = order === 1;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const inRange = (off: number, len: number): boolean => off >= 0 && off + len <= bytes.byteLength;
  const u16 = (off: number): number => view.getUint16(off, le);
  const u32 = (off: number): number => view.getUint32(off, le);
  const word = (off: number): number => (bits === 64 ? Number(view.getBigUint64(off, le)) : view.getUint32(off, le));
  if (bits === 64 && bytes.byteLength < 64) return { ok: false, problem: "truncated ELF header" };
  const type = u16(16);
  const machine = u16(18);
  const phoff = word(bits === 64 ? 32 : 28);
  const phentsize = u16(bits === 64 ? 54 : 42);
  const phnum = u16(bits === 64 ? 56 : 44);
  const base = { bits, bigEndian: !le, machine, type } as const;
  if (phnum === 0) return { ok: true, elf: { ...base, needed: [] } };
  if (!inRange(phoff, phentsize * phnum)) return { ok: false, problem: "program headers lie outside the file (truncated?)" };
  const loads: { vaddr: number; offset: number; filesz: number }[] = [];
  let interpreter: string | undefined;
  let dynamic: { offset: number; size: number } | undefined;
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    const ptype = u32(ph);
    const offset = word(ph + (bits === 64 ? 8 : 4));
    const vaddr = word(ph + (bits === 64 ? 16 : 8));
    const filesz = word(ph + (bits === 64 ? 32 : 16));
    if (ptype === PT_LOAD) loads.push({ vaddr, offset, filesz });
    else if (ptype === PT_DYNAMIC) dynamic = { offset, size: filesz };
    else if (ptype === PT_INTERP) {
      if (!inRange(offset, filesz)) return { ok: false, problem: "PT_INTERP lies outside the file (truncated?)" };
      let end = offset;
      while (end < offset + filesz && bytes[end] !== 0) end++;
      interpreter = decoder.decode(bytes.subarray(offset, end));
    }
  }
  const withInterp = interpreter === undefined ? base : { ...base, interpreter };
  if (dynamic === undefined) return { ok: true, elf: { ...withInterp, needed: [] } };
  if (!inRange(dynamic.offset, dynamic.size)) return { ok: false, problem: "the dynamic section lies outside the file (truncated?)" };
  const entSize = bits === 64 ? 16 : 8;
  const tags: { tag: number; val: number }[] = [];
  for (let at = dynamic.offset; at + entSize <= dynamic.offset + dynamic.size; at += entSize) {
    const tag = word(at);
    if (tag === DT_NULL) break;
    tags.push({ tag, val: word(at + entSize / 2) });
  }
  const strtabAddr = tags.find((t) => t.tag === DT_STRTAB)?.val;
  const strtabLoad = strtabAddr === undefined ? undefined : loads.find((l) => strtabAddr >= l.vaddr && strtabAddr < l.vaddr + l.filesz);
  if (strtabAddr === undefined || strtabLoad === undefined) {
    return tags.some((t) => t.tag === DT_NEEDED)
      ? { ok: false, problem: "DT_STRTAB is missing or outside the loaded segments" }
      : { ok: true, elf: { ...withInterp, needed: [] } };
  }
  const strtab = strtabAddr - strtabLoad.vaddr + strtabLoad.offset;
  const str = (off: number): string | undefined => {
    const start = strtab + off;
    if (!inRange(start, 1)) return undefined;
    let end = start;
    while (end < bytes.byteLength && bytes[end] !== 0) end++;
    return end < bytes.byteLength ? decoder.decode(bytes.subarray(start, end)) : undefined;
  };
  const needed: string[] = [];
  let soname: string | undefined;
  let rpath: string | undefined;
  let runpath: string | undefined;
  let nodeflib = false;
  for (const { tag, val } of tags) {
    if (tag === DT_FLAGS_1) {
      nodeflib = (val & DF_1_NODEFLIB) !== 0;
      continue;
    }
    if (tag !== DT_NEEDED && tag !== DT_SONAME && tag !== DT_RPATH && tag !== DT_RUNPATH) continue;
    const s = str(val);
    if (s === undefined) return { ok: false, problem: "a dynamic string lies outside the file (truncated?)" };
    if (tag === DT_NEEDED) needed.push(s);
    else if (tag === DT_SONAME) soname = s;
    else if (tag === DT_RPATH) rpath = s;
    else runpath = s;
  }
  return {
    ok: true,
    elf: {
      ...withInterp,
      needed,
      ...(soname === undefined ? {} : { soname }),
      ...(rpath === undefined ? {} : { rpath }),
      ...(runpath === undefined ? {} : { runpath }),
      ...(nodeflib ? { nodeflib } : {}),
    },
  };
}
