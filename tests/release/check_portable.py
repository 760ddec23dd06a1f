"""Checks that ELF files need nothing but glibc, and no glibc newer than --max-glibc (2.17):
their dynamic section names only glibc's own libraries (NEEDED), every symbol version they
require is a GLIBC_ version no newer than the limit, and (with --exports) the dynamic symbols
they define are only the ones named, so that no symbol of a library linked in leaks out; and
they have no text relocations (code linked in that is not position-independent).

Usage: check_portable.py [--max-glibc 2.17] [--exports REGEX] ELF...
Prints one line per file; exits 1 naming every problem (file, symbol, version or library)."""
import argparse
import re
import subprocess
import sys

GLIBC_LIBRARIES = {"libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0",
                   "ld-linux-x86-64.so.2"}


def readelf(*args):
    return subprocess.run(["readelf", "--wide", *args], check=True, capture_output=True,
                          text=True).stdout


def version_tuple(text):
    return tuple(int(x) for x in text.split("."))


def needed(path):
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", readelf("--dynamic", path))


def required_versions(path):
    """(file, version name) for every entry of .gnu.version_r."""
    out, current = [], None
    for line in readelf("--version-info", path).splitlines():
        m = re.search(r"File: (\S+)", line)
        if m:
            current = m.group(1)
        m = re.search(r"Name: (\S+)\s+Flags", line)
        if m and current:
            out.append((current, m.group(1)))
    return out


def symbols_by_version(path):
    """version name -> undefined dynamic symbols bound to it."""
    out = {}
    for line in readelf("--dyn-syms", path).splitlines():
        m = re.search(r"\sUND\s+(\S+?)@(\S+?)(?: \(\d+\))?$", line)
        if m:
            out.setdefault(m.group(2), []).append(m.group(1))
    return out


def exported(path):
    names = []
    for line in readelf("--dyn-syms", path).splitlines():
        f = line.split()
        if len(f) >= 8 and f[0].endswith(":") and f[6] != "UND" and f[4] in ("GLOBAL", "WEAK") \
                and f[3] in ("FUNC", "OBJECT", "TLS", "IFUNC", "NOTYPE"):
            names.append(f[7].split("@")[0])
    return names


def check(path, max_glibc, exports):
    problems = []
    dynamic = readelf("--dynamic", path)
    if "(TEXTREL)" in dynamic or re.search(r"\(FLAGS\).*TEXTREL", dynamic):
        problems.append(f"{path}: has text relocations (code that is not position-independent)")
    libs = needed(path)
    for lib in libs:
        if lib not in GLIBC_LIBRARIES:
            problems.append(f"{path}: needs {lib}, which is not part of glibc")
    by_version = symbols_by_version(path)
    newest = None
    for lib, version in required_versions(path):
        m = re.fullmatch(r"GLIBC_(\d+(?:\.\d+)+)", version)
        if not m:
            if version != "GLIBC_PRIVATE":
                problems.append(f"{path}: requires {version} of {lib}, not a glibc version")
            else:
                problems.append(f"{path}: requires GLIBC_PRIVATE of {lib} (no stable version)")
            continue
        v = version_tuple(m.group(1))
        newest = max(newest or v, v)
        if v > max_glibc:
            syms = ", ".join(sorted(by_version.get(version, [])))
            problems.append(f"{path}: requires {version} of {lib} (newer than GLIBC_"
                            f"{'.'.join(map(str, max_glibc))}) for: {syms}")
    if exports is not None:
        for name in exported(path):
            if not re.fullmatch(exports, name):
                problems.append(f"{path}: exports {name}")
    newest_text = "GLIBC_" + ".".join(map(str, newest)) if newest else "no versioned symbol"
    summary = (f"{path}: needs {', '.join(libs) if libs else 'no shared library'}; "
               f"newest version required: {newest_text}")
    return problems, summary


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-glibc", default="2.17")
    ap.add_argument("--exports", help="regular expression every exported symbol must match")
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    problems = []
    for path in a.files:
        p, summary = check(path, version_tuple(a.max_glibc), a.exports)
        print(summary)
        problems += p
    for p in problems:
        print(p)
    if problems:
        sys.exit(1)
    print(f"portable: {len(a.files)} files need only glibc {a.max_glibc}")


if __name__ == "__main__":
    main()
