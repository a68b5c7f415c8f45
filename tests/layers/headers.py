#!/usr/bin/env python3
"""Which headers each folder of src/ may include (docs/layers.md).

Usage: headers.py NM LIB...   (the layers' archives, lowest first)

A folder's private headers compile only in that folder.  For every folder of src/ but util (the layers, the daemon, the CLI), take
the flags meson compiles one of its files with (compile_commands.json) and
preprocess a probe that includes each header of every other folder, under
each name it could be reached by (flat, relative to its folder, and
"folder/..."): none may be found.  The same flags must find the folder's own
headers and util's, so a broken probe cannot pass.  No file of src/ or
include/ may reach around the rule with "../".

A layer includes only the public headers of its layer and the ones below:
kvmnet/X.h belongs to the layer whose archive defines most of the
functions it declares.
"""
import collections
import concurrent.futures
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile

src_root = os.environ["KVMNET_SOURCE_ROOT"]
build_root = os.environ["KVMNET_BUILD_ROOT"]
src = os.path.join(src_root, "src")


def headers(folder):
    """The headers under src/FOLDER, relative to it."""
    top = os.path.join(src, folder)
    out = []
    for d, _, files in os.walk(top):
        out += [os.path.relpath(os.path.join(d, f), top) for f in files if f.endswith(".h")]
    return sorted(out)


def probe_flags(entry):
    """The entry's command without its output, source and dependency file."""
    args = shlex.split(entry["command"]) if "command" in entry else list(entry["arguments"])
    keep, skip = [], False
    for a in args:
        if skip:
            skip = False
        elif a in ("-o", "-c", "-MQ", "-MF", "-MT"):
            skip = True
        elif a not in ("-MD", "-MMD"):
            keep.append(a)
    return keep, entry["directory"]


def resolve(flags, cwd, name, tmp):
    """The file that #include "name" finds with these flags, or None."""
    fd, probe = tempfile.mkstemp(suffix=".c", dir=tmp)
    with os.fdopen(fd, "w") as f:
        f.write('#include "%s"\n' % name)
    # -H lists each header as it is opened, ". PATH" for the probe's own
    # include, whether or not what that header includes is found.
    r = subprocess.run(flags + ["-E", "-H", "-w", "-o", os.devnull, probe], cwd=cwd,
                       capture_output=True, text=True)
    os.unlink(probe)
    for line in r.stderr.splitlines():
        if line.startswith(". "):
            return os.path.normpath(os.path.join(cwd, line[2:]))
    return None


def public_owners(nm, libs):
    """kvmnet/X.h -> (rank, layer) of the layer defining most of what it
    declares; and each layer's rank."""
    rank, layers = {}, {}
    for i, lib in enumerate(libs):
        layer = os.path.basename(lib)[len("libkvmnet-") : -len(".a")]
        layers[layer] = i
        out = subprocess.run([nm, "-P", "-g", "--defined-only", lib], capture_output=True, text=True,
                             check=True).stdout
        for line in out.splitlines():
            f = line.split()
            if len(f) >= 2 and f[1] not in ("U", "w", "v"):
                rank.setdefault(f[0], (i, layer))
    owners = {}
    top = os.path.join(src_root, "include", "kvmnet")
    for h in sorted(os.listdir(top)):
        with open(os.path.join(top, h)) as fh:
            names = set(re.findall(r"\b(kn_\w+)\s*\(", fh.read()))
        count = collections.Counter(rank[n] for n in names if n in rank)
        if count:
            owners["kvmnet/" + h] = count.most_common(1)[0][0]
    return owners, layers


def public_includes(owners, layer_rank):
    """Every include of a public header from below its layer is wrong."""
    include = re.compile(r'^\s*#\s*include\s*"(kvmnet/[^"]+)"', re.M)
    failures = []
    files = []
    for d, _, names in os.walk(src):
        files += [os.path.join(d, n) for n in names if n.endswith((".c", ".h"))]
    top = os.path.join(src_root, "include", "kvmnet")
    files += [os.path.join(top, n) for n in os.listdir(top)]
    for path in sorted(files):
        rel = os.path.relpath(path, src_root)
        if rel.startswith("include/"):
            mine = owners.get(rel[len("include/") :])
        else:
            folder = os.path.relpath(path, src).split(os.sep)[0]
            mine = (layer_rank[folder], folder) if folder in layer_rank else None
        if mine is None:  # the daemon, the CLI: above every layer
            continue
        with open(path, encoding="utf-8", errors="replace") as fh:
            for name in include.findall(fh.read()):
                theirs = owners.get(name)
                if theirs and theirs[0] > mine[0]:
                    failures.append("%s (%s) includes %s of %s above it" % (rel, mine[1], name, theirs[1]))
    return failures


def main():
    owners, layer_rank = public_owners(sys.argv[1], sys.argv[2:])
    folders = sorted(d for d in os.listdir(src) if os.path.isdir(os.path.join(src, d)) and d != "util")
    with open(os.path.join(build_root, "compile_commands.json")) as f:
        commands = json.load(f)
    flags = {}
    for e in commands:
        path = os.path.normpath(os.path.join(e["directory"], e["file"]))
        rel = os.path.relpath(path, src).split(os.sep)
        if rel[0] in folders and rel[0] not in flags:
            flags[rel[0]] = probe_flags(e)

    jobs = []  # (folder, include name, where it must resolve or None)
    for folder in folders:
        if folder not in flags:
            continue
        for h in headers(folder):
            jobs.append((folder, h, os.path.join(src, folder, h)))
        for h in headers("util"):
            jobs.append((folder, h, os.path.join(src, "util", h)))
        for other in folders:
            if other == folder:
                continue
            for h in headers(other):
                for name in {os.path.basename(h), h, other + "/" + h}:
                    jobs.append((folder, name, None))

    failures = []
    with tempfile.TemporaryDirectory() as tmp, concurrent.futures.ThreadPoolExecutor(2) as pool:

        def run(job):
            folder, name, want = job
            got = resolve(*flags[folder], name, tmp)
            if want is not None:
                if got != want:
                    return "src/%s cannot include \"%s\" (%s)" % (folder, name, got or "not found")
            elif got is not None and not got.startswith(os.path.join(src, folder) + os.sep):
                return "src/%s reaches %s as \"%s\"" % (folder, os.path.relpath(got, src_root), name)
            return None

        failures += [r for r in pool.map(run, jobs) if r]

    around = re.compile(r'^\s*#\s*include\s*"\.\./', re.M)
    for top in (src, os.path.join(src_root, "include")):
        for d, _, files in os.walk(top):
            for f in files:
                if f.endswith((".c", ".h")):
                    path = os.path.join(d, f)
                    with open(path, encoding="utf-8", errors="replace") as fh:
                        if around.search(fh.read()):
                            failures.append("%s includes through ../" % os.path.relpath(path, src_root))

    failures += public_includes(owners, layer_rank)

    for f in failures:
        print("FAIL:", f)
    print("%d private includes checked over %d folders, %d public headers placed in layers, %d wrong"
          % (len(jobs), len(flags), len(owners), len(failures)))
    return 1 if failures else 0


sys.exit(main())
