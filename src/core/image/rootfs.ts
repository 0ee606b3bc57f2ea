import type { DebContents, DebFile } from "./deb-contents.js";

/**
 * A root filesystem as a map of paths, assembled from .deb data archives in image order the way a container
 * runtime applies image layers: each entry's parent directories are resolved through symlinks already in the
 * tree (bounded to the root), its last component is taken literally; a later entry replaces an earlier one
 * at the same path (a directory entry keeps an existing directory; over anything else it replaces it).
 */
export interface RootNode extends DebFile {
  /** The package that put the node there. */
  readonly pkg: string;
}

const MAX_SYMLINKS = 40;

function splitPath(path: string): string[] {
  return path.split("/").filter((p) => p !== "" && p !== ".");
}

function dirOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

function join(dir: string, name: string): string {
  return dir === "/" ? `/${name}` : `${dir}/${name}`;
}

export interface Resolved {
  /** The path with every symlink resolved (as far as the tree goes). */
  readonly path: string;
  readonly node: RootNode | undefined;
  /** Symlinks followed on the way, in order. */
  readonly via: readonly string[];
}

export class RootFs {
  readonly #nodes = new Map<string, RootNode>();

  /** Where an entry of a data archive lands: its parent resolved through the tree's symlinks, its name literal. */
  placeOf(path: string): string {
    return join(this.resolve(dirOf(path)).path, path.slice(path.lastIndexOf("/") + 1));
  }

  /**
   * Applies one package's files on top of the tree. `onPlace` sees each entry with where it lands and whether
   * it replaces an existing node (a directory entry over a directory replaces nothing).
   */
  apply(pkg: string, contents: DebContents, onPlace?: (file: DebFile, path: string, replaces: RootNode | undefined) => void): void {
    for (const f of contents.files) {
      if (f.path === "/") continue;
      const path = this.placeOf(f.path);
      const existing = this.#nodes.get(path);
      if (f.kind === "dir" && existing?.kind === "dir") {
        onPlace?.(f, path, undefined);
        continue;
      }
      onPlace?.(f, path, existing);
      if (existing?.kind === "dir") this.#removeBelow(path);
      if (f.kind === "hardlink" && f.target !== undefined) {
        const linked = this.resolve(f.target, false).node;
        this.#nodes.set(path, linked === undefined ? { ...f, path, kind: "file", pkg } : { ...linked, path, pkg });
        continue;
      }
      this.#nodes.set(path, { ...f, path, pkg });
    }
  }

  /** Adds a symlink the way a maintainer script would, unless something is at that path already. */
  addSymlink(link: string, target: string, pkg: string): boolean {
    const path = this.placeOf(link);
    if (this.#nodes.has(path)) return false;
    this.#nodes.set(path, { path, kind: "symlink", mode: 0o777, target, pkg });
    return true;
  }

  #removeBelow(dir: string): void {
    const prefix = `${dir}/`;
    for (const key of [...this.#nodes.keys()]) if (key.startsWith(prefix)) this.#nodes.delete(key);
  }

  /** The node at a literal path (no symlink resolution). */
  get(path: string): RootNode | undefined {
    return this.#nodes.get(path);
  }

  /** Every node, in the order they were first placed. */
  nodes(): IterableIterator<RootNode> {
    return this.#nodes.values();
  }

  /** A copy that can take extra links without changing this tree. */
  clone(): RootFs {
    const copy = new RootFs();
    for (const [k, v] of this.#nodes) copy.#nodes.set(k, v);
    return copy;
  }

  /**
   * Resolves `path` (absolute; relative paths are taken from `/`) through symlinks, bounded to the root,
   * following the last component too unless `followLast` is false. A missing component ends the walk:
   * the rest is appended literally and `node` is undefined.
   */
  resolve(path: string, followLast = true): Resolved {
    let pending = splitPath(path);
    let current = "/";
    const via: string[] = [];
    let hops = 0;
    while (pending.length > 0) {
      const [name, ...rest] = pending;
      pending = rest;
      if (name === "..") {
        current = dirOf(current);
        continue;
      }
      const next = join(current, name!);
      const node = this.#nodes.get(next);
      if (node === undefined) {
        // Directories a data archive implies without an entry of their own exist all the same.
        if (pending.length === 0) return { path: next, node: undefined, via };
        current = next;
        continue;
      }
      if (node.kind === "symlink" && node.target !== undefined && (pending.length > 0 || followLast)) {
        if (++hops > MAX_SYMLINKS) return { path: next, node: undefined, via };
        via.push(next);
        pending = [...splitPath(node.target), ...pending];
        if (node.target.startsWith("/")) current = "/";
        continue;
      }
      current = next;
      if (pending.length > 0 && node.kind !== "dir") return { path: [current, ...pending].reduce((a, b) => join(a, b)), node: undefined, via };
    }
    return { path: current, node: current === "/" ? { path: "/", kind: "dir", mode: 0o755, pkg: "" } : this.#nodes.get(current), via };
  }
}
