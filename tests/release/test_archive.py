"""The release archive (docs/release.md), unpacked into an empty directory: its checksum, exactly
the files the page lists (and the same that `cmake --install` installs), binaries that need only glibc 2.17
once stripped, the demo run against
its agent and command in a clean environment, this version in the jars' manifests, and its
maven/install.sh laying out a Maven repository."""
import glob
import hashlib
import os
import sys

import reltest
from reltest import check

HERE = os.path.dirname(os.path.abspath(__file__))


def expected_files(env):
    docs = [os.path.basename(p) for p in glob.glob(os.path.join(env.source, "docs", "*.md"))]
    maven = []
    for artifact in ("leakbridge", "leakbridge-junit5"):
        base = "%s-%s" % (artifact, env.version)
        maven += [base + ".pom", base + ".jar", base + "-sources.jar"]
    return sorted(
        ["bin/leakbridge", "lib/libleakbridge.so", "lib/leakbridge.jar",
         "lib/leakbridge-junit5.jar", "include/leakbridge/leakbridge.h",
         "include/leakbridge/version.h", "README.md", "CHANGELOG.md", "LICENSE",
         "THIRD-PARTY-NOTICES.txt", "docs/report.schema.json", "maven/install.sh"]
        + ["docs/" + d for d in docs] + ["maven/" + m for m in maven])


def test(env):
    with open(env.archive + ".sha256") as f:
        digest, name = f.read().split()
    check(name == os.path.basename(env.archive), "the checksum file names %s" % name)
    with open(env.archive, "rb") as f:
        check(hashlib.sha256(f.read()).hexdigest() == digest, "the archive's checksum is wrong")

    root = os.path.join(env.work, "unpacked")
    os.makedirs(root)
    env.run(["tar", "-xzf", env.archive, "-C", root])
    check(os.listdir(root) == [env.archive_name],
          "the archive holds %s, not one directory %s" % (os.listdir(root), env.archive_name))
    home = os.path.join(root, env.archive_name)
    found = sorted(os.path.relpath(os.path.join(d, f), home)
                   for d, _, files in os.walk(home) for f in files)
    want = expected_files(env)
    check(found == want, "the archive's files differ: extra %s, missing %s" % (
        sorted(set(found) - set(want)), sorted(set(want) - set(found))))

    # cmake --install installs the same files (docs/release.md, docs/cli.md).
    prefix = os.path.join(env.work, "prefix")
    env.run(["cmake", "--install", env.build, "--prefix", prefix])
    installed = sorted(os.path.relpath(os.path.join(d, f), prefix)
                       for d, _, files in os.walk(prefix) for f in files)
    check(installed == want, "cmake --install differs from the archive: extra %s, missing %s" % (
        sorted(set(installed) - set(want)), sorted(set(want) - set(installed))))

    agent = os.path.join(home, "lib", "libleakbridge.so")
    cli = os.path.join(home, "bin", "leakbridge")
    env.run([sys.executable, os.path.join(HERE, "check_portable.py"), agent, cli])
    env.demo(agent, cli, "demo")
    for jar in ("leakbridge.jar", "leakbridge-junit5.jar"):
        v = env.manifest_version(os.path.join(home, "lib", jar))
        check(v == env.version, "%s says Implementation-Version %s" % (jar, v))
    notices = open(os.path.join(home, "THIRD-PARTY-NOTICES.txt")).read()
    for lib in ("libunwind", "jansson", "yajl"):
        check("======== %s " % lib in notices, "THIRD-PARTY-NOTICES.txt lacks %s" % lib)

    repo = os.path.join(env.work, "repo")
    env.run([os.path.join(home, "maven", "install.sh"), repo], clean=True)
    for artifact, jar in (("leakbridge", "leakbridge.jar"),
                          ("leakbridge-junit5", "leakbridge-junit5.jar")):
        d = os.path.join(repo, "io", "leakbridge", artifact, env.version)
        base = os.path.join(d, "%s-%s" % (artifact, env.version))
        for suffix in (".pom", ".jar", "-sources.jar"):
            check(os.path.isfile(base + suffix), "maven/install.sh did not write %s" % (base + suffix))
        check(open(base + ".jar", "rb").read() == open(os.path.join(home, "lib", jar), "rb").read(),
              "the repository's %s is not lib/%s" % (artifact, jar))


if __name__ == "__main__":
    reltest.main(test)
