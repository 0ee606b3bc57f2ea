#!/usr/bin/env python3
"""Runs rules_distroless's own lock resolution (its Starlark code, unedited) outside Bazel, to make oracle fixtures.

Usage:
  rules-distroless-lock.py --rules-distroless DIR --manifest FILE.yaml --serve URL=DIR [--serve URL=DIR ...] \
      [--no-transitive] > lock.json

  --rules-distroless DIR  a checkout of bazel-contrib/rules_distroless at a release that writes version-1 locks
                          (e.g. `git worktree add /tmp/rd v0.8.0`); its apt/private/*.bzl are executed as they are
  --manifest FILE         the rules_distroless manifest (YAML, `version: 1`)
  --serve URL=DIR         files under URL are read from DIR (stands in for Bazel's downloader)

Starlark is close enough to Python that the .bzl files run under Python's interpreter once a few Bazel built-ins
exist. This script supplies only those: `load`, `struct`, `fail`, `json`, Starlark's `type` names and list-returning
`dict.keys()`/`reversed`/`str.elems()`, the repository context (`rctx.download/execute/read/file`; the `yq`
call that parses the manifest is answered with the manifest as JSON) and the few helpers loaded from other
repositories (bazel_skylib `sets`, bazel_lib `repo_utils`/`ord`, bazel_tools netrc, which finds no credentials).
Nothing of rules_distroless's resolution, version comparison or lock writing is reimplemented here: it calls
`internal_resolve(rctx, ..., include_transitive)` from apt/private/deb_resolve.bzl and then the lock's own `write`,
so the bytes printed are the bytes rules_distroless writes to lock.json (json.encode_indent: sorted keys, tab
indentation, no final newline).
"""

import argparse
import ast
import json
import os
import shutil
import subprocess
import sys
import tempfile
import types


class SDict(dict):
    """A Starlark dict: keys(), values() and items() are lists."""

    def keys(self):
        return list(super().keys())

    def values(self):
        return list(super().values())

    def items(self):
        return list(super().items())


class Struct(types.SimpleNamespace):
    pass


def struct(**kwargs):
    return Struct(**kwargs)


class StarlarkFail(Exception):
    pass


def fail(*args, **kwargs):
    raise StarlarkFail(" ".join(str(a) for a in args))


def starlark_type(value):
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "list" if isinstance(value, list) else "tuple"
    if isinstance(value, dict):
        return "dict"
    if isinstance(value, Struct):
        return "struct"
    if value is None:
        return "NoneType"
    if callable(value):
        return "function"
    return type(value).__name__


def to_json_value(value):
    if isinstance(value, Struct):
        return {k: to_json_value(v) for k, v in vars(value).items()}
    if isinstance(value, dict):
        return {k: to_json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json_value(v) for v in value]
    return value


def encode_indent(value, prefix="", indent="\t"):
    # Bazel's json.encode_indent: object keys sorted, `"key": value`, one element per line, no final newline
    return json.dumps(to_json_value(value), indent=indent, sort_keys=True, ensure_ascii=False, separators=(",", ": "))


json_module = struct(
    encode_indent=encode_indent,
    encode=lambda v: json.dumps(to_json_value(v), sort_keys=True, separators=(",", ":"), ensure_ascii=False),
    decode=lambda s: json.loads(s, object_hook=SDict),
)


class StarlarkTransform(ast.NodeTransformer):
    """Dict displays become SDict, `x.elems()` becomes `_elems(x)`."""

    def visit_Dict(self, node):
        self.generic_visit(node)
        return ast.copy_location(ast.Call(func=ast.Name(id="SDict", ctx=ast.Load()), args=[node], keywords=[]), node)

    def visit_DictComp(self, node):
        self.generic_visit(node)
        return ast.copy_location(ast.Call(func=ast.Name(id="SDict", ctx=ast.Load()), args=[node], keywords=[]), node)

    def visit_Call(self, node):
        self.generic_visit(node)
        if isinstance(node.func, ast.Attribute) and node.func.attr == "elems" and not node.args:
            return ast.copy_location(ast.Call(func=ast.Name(id="_elems", ctx=ast.Load()), args=[node.func.value], keywords=[]), node)
        return node


def skylib_sets():
    return struct(
        make=lambda elements=None: struct(_values=SDict({e: None for e in (elements or [])})),
        contains=lambda s, e: e in s._values,
        insert=lambda s, e: (s._values.__setitem__(e, None), s)[1],
    )


EXTERNAL = {
    "@bazel_skylib//lib:new_sets.bzl": {"sets": skylib_sets()},
    "@bazel_lib//lib:strings.bzl": {"ord": ord},
    "@bazel_lib//lib:repo_utils.bzl": {"repo_utils": struct(is_windows=lambda rctx: False, platform=lambda rctx: "linux_amd64")},
    "@aspect_bazel_lib//lib:strings.bzl": {"ord": ord},
    "@aspect_bazel_lib//lib:repo_utils.bzl": {"repo_utils": struct(is_windows=lambda rctx: False, platform=lambda rctx: "linux_amd64")},
    "@bazel_tools//tools/build_defs/repo:utils.bzl": {
        "read_netrc": lambda ctx, path: SDict(),
        "read_user_netrc": lambda ctx: SDict(),
        "use_netrc": lambda netrc, urls, patterns: SDict(),
    },
}


class Loader:
    def __init__(self, private_dir):
        self.private_dir = private_dir
        self.modules = {}

    def module(self, label):
        if label.startswith("@"):
            if label in EXTERNAL:
                return EXTERNAL[label]
            return {}  # rule-only loads (sh_binary, ...) that resolution never calls
        name = label.split(":")[-1]
        if name not in self.modules:
            path = os.path.join(self.private_dir, name)
            with open(path, encoding="utf-8") as f:
                tree = StarlarkTransform().visit(ast.parse(f.read(), filename=path))
            ast.fix_missing_locations(tree)
            env = self.globals()
            self.modules[name] = env
            exec(compile(tree, path, "exec"), env)
        return self.modules[name]

    def globals(self):
        loader = self

        def load(label, *names, **aliases):
            frame_globals = sys._getframe(1).f_globals
            mod = loader.module(label)
            for n in names:
                frame_globals[n] = mod[n] if n in mod else (lambda *a, **k: None)
            for alias, n in aliases.items():
                frame_globals[alias] = mod[n]

        return {
            "__builtins__": __builtins__,
            "load": load,
            "struct": struct,
            "fail": fail,
            "json": json_module,
            "type": starlark_type,
            "SDict": SDict,
            "dict": lambda *a, **k: SDict(*a, **k),
            "reversed": lambda x: list(reversed(list(x))),
            "_elems": lambda s: list(s),
            "Label": lambda s: s,
            "print": lambda *a, **k: print(*a, file=sys.stderr),
            # rule declarations at the end of a .bzl: defined, never run here
            "repository_rule": lambda *a, **k: None,
            "rule": lambda *a, **k: None,
            "attr": struct(**{n: (lambda *a, **k: None) for n in ("label", "string", "bool", "string_list", "label_list", "int", "string_dict")}),
        }


class RepositoryContext:
    def __init__(self, workdir, serve, manifest_json):
        self.workdir = workdir
        self.serve = serve
        self.manifest_json = manifest_json
        self.os = struct(environ=SDict())

    def _path(self, p):
        return os.path.join(self.workdir, str(p))

    def path(self, p):
        return str(p)

    def report_progress(self, message):
        pass

    def download(self, url, output, integrity="", allow_fail=False, auth=None, **kwargs):
        for prefix, directory in self.serve:
            if url.startswith(prefix):
                local = os.path.join(directory, url[len(prefix):].lstrip("/"))
                if os.path.isfile(local):
                    dest = self._path(output)
                    os.makedirs(os.path.dirname(dest), exist_ok=True)
                    shutil.copyfile(local, dest)
                    return struct(success=True, integrity="")
        if not allow_fail:
            fail("download failed: " + url)
        return struct(success=False, integrity="")

    def execute(self, args, quiet=True, **kwargs):
        if str(args[0]).endswith("yq"):
            return struct(return_code=0, stdout=self.manifest_json, stderr="")
        if args[0] == "echo":
            print(" ".join(str(a) for a in args[1:]), file=sys.stderr)
            return struct(return_code=0, stdout="", stderr="")
        r = subprocess.run([str(a) for a in args], cwd=self.workdir, capture_output=True, text=True)
        return struct(return_code=r.returncode, stdout=r.stdout, stderr=r.stderr)

    def read(self, p):
        with open(self._path(p), encoding="utf-8") as f:
            return f.read()

    def file(self, p, content="", executable=False, **kwargs):
        dest = self._path(p)
        os.makedirs(os.path.dirname(dest) or ".", exist_ok=True)
        with open(dest, "w", encoding="utf-8") as f:
            f.write(content)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rules-distroless", required=True)
    parser.add_argument("--manifest", required=True)
    parser.add_argument("--serve", action="append", default=[])
    parser.add_argument("--no-transitive", action="store_true")
    args = parser.parse_args()

    import yaml

    with open(args.manifest, encoding="utf-8") as f:
        manifest_json = json.dumps(yaml.safe_load(f))
    serve = [tuple(s.split("=", 1)) for s in args.serve]

    loader = Loader(os.path.join(args.rules_distroless, "apt", "private"))
    deb_resolve = loader.module(":deb_resolve.bzl")
    with tempfile.TemporaryDirectory() as workdir:
        rctx = RepositoryContext(workdir, serve, manifest_json)
        lock = deb_resolve["internal_resolve"](rctx, "yq", args.manifest, not args.no_transitive)
        lock.write("lock.json")
        with open(os.path.join(workdir, "lock.json"), encoding="utf-8") as f:
            sys.stdout.write(f.read())


if __name__ == "__main__":
    main()
