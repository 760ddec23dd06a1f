"""docs/release.md as written: each of its `sh` blocks runs in order, by bash, in a fresh
directory holding `build` (this build) and `scripts`, with HOME a fresh directory and `sudo` and
`dpkg` on PATH standing for themselves, but dpkg working on a root and database of the test's
own (so /usr and the machine's dpkg database are never changed); README.md's install lines
too. Then its Maven snippet goes
into a project that Maven (offline) must build the model of from the repository the page's
install command filled, and the jars that the POMs' dependencies name there compile and run a
JUnit test with @NoNativeLeaks under the archive's agent: the leaking test fails, the other
passes. This test makes the packages (`cmake --build build --target package`, as the page says)
for release.archive, release.deb and release.flink_layer."""
import os
import re
import xml.etree.ElementTree as ET

import reltest
from reltest import check

POM_NS = {"m": "http://maven.apache.org/POM/4.0.0"}

SHIMS = {
    "sudo": '#!/bin/sh\nexec "$@"\n',
    # libc6 is in the machine's database, not in the test's own: --force-depends.
    "dpkg": '#!/bin/sh\nexec /usr/bin/dpkg --instdir="$LB_DPKG_ROOT" --admindir="$LB_DPKG_ADMIN" '
            '--log=/dev/null --force-not-root --force-depends "$@"\n',
}

JUNIT_TEST = """
import io.leakbridge.junit.NoNativeLeaks;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReleaseJarsTest {
    static final List<ByteBuffer> KEPT = new ArrayList<>();

    @Test
    @NoNativeLeaks
    void keepsBuffers() {
        for (int i = 0; i < 8; i++)
            KEPT.add(ByteBuffer.allocateDirect(64 * 1024));
    }

    @Test
    @NoNativeLeaks
    void dropsBuffers() {
        for (int i = 0; i < 8; i++)
            ByteBuffer.allocateDirect(64 * 1024).putInt(0, i);
    }
}
"""


def blocks(markdown, lang):
    return re.findall(r"^```%s\n(.*?)^```" % lang, markdown, re.S | re.M)


def pom_of(repo, group, artifact, version):
    path = os.path.join(repo, *group.split("."), artifact, version,
                        "%s-%s.pom" % (artifact, version))
    check(os.path.isfile(path), "no POM %s in the repository" % path)
    return ET.parse(path).getroot()


def runtime_jars(repo, group, artifact, version, seen=None):
    """The jars Maven puts on a test class path for the dependency: the artifact's, then its
    dependencies' of scope compile or runtime, recursively (provided and test do not pass on).
    Returns [(group:artifact, scope-of-each-dependency-skipped)]."""
    seen = seen if seen is not None else {}
    key = "%s:%s" % (group, artifact)
    if key in seen:
        return seen
    jar = os.path.join(repo, *group.split("."), artifact, version, "%s-%s.jar" % (artifact, version))
    check(os.path.isfile(jar), "no jar %s in the repository" % jar)
    seen[key] = jar
    pom = pom_of(repo, group, artifact, version)
    for dep in pom.findall("m:dependencies/m:dependency", POM_NS):
        scope = dep.findtext("m:scope", "compile", POM_NS)
        g, a, v = (dep.findtext("m:" + t, None, POM_NS) for t in ("groupId", "artifactId", "version"))
        if scope in ("compile", "runtime"):
            runtime_jars(repo, g, a, v, seen)
    return seen


def readme_install(env, cwd, shell_env, dpkg_root):
    """README.md's three install lines, in a directory of their own: each installs."""
    readme = open(os.path.join(env.source, "README.md")).read()
    block = [b for b in blocks(readme, "sh") if "tar -xzf build/" in b]
    check(len(block) == 1, "README.md has no install block")
    here = os.path.join(env.work, "readme")
    os.makedirs(here)
    os.symlink(env.build, os.path.join(here, "build"))
    os.symlink(os.path.join(env.source, "scripts"), os.path.join(here, "scripts"))
    home = os.path.join(env.work, "readme-home")
    os.makedirs(home)
    env.run(block[0], cwd=here, env=dict(shell_env, HOME=home))
    check(os.path.isfile(os.path.join(here, env.archive_name, "lib", "libleakbridge.so")),
          "README's tar did not unpack the agent")
    check(os.path.isfile(dpkg_root + "/usr/lib/leakbridge/libleakbridge.so"),
          "README's dpkg -i did not install the agent")
    for artifact in ("leakbridge", "leakbridge-junit5"):
        jar = os.path.join(home, ".m2", "repository", "io", "leakbridge", artifact, env.version,
                           "%s-%s.jar" % (artifact, env.version))
        check(os.path.isfile(jar), "README's maven-install.sh did not install %s" % jar)
    env.run("sudo dpkg -r leakbridge", env=shell_env)


def test(env):
    guide = open(os.path.join(env.source, "docs", "release.md")).read()
    sh = blocks(guide, "sh")
    check(len(sh) == 4, "docs/release.md has %d sh blocks, this test knows 4" % len(sh))
    cwd = os.path.join(env.work, "cwd")
    home = os.path.join(env.work, "home")
    shims = os.path.join(env.work, "shims")
    dpkg_root = os.path.join(env.work, "dpkg-root")
    dpkg_admin = os.path.join(env.work, "dpkg-admin")
    for d in (cwd, home, shims, dpkg_root, *(os.path.join(dpkg_admin, s) for s in ("info", "updates", "triggers"))):
        os.makedirs(d)
    for f in ("status", "available"):
        open(os.path.join(dpkg_admin, f), "w").close()
    for name, text in SHIMS.items():
        with open(os.path.join(shims, name), "w") as f:
            f.write(text)
        os.chmod(os.path.join(shims, name), 0o755)
    os.symlink(env.build, os.path.join(cwd, "build"))
    os.symlink(os.path.join(env.source, "scripts"), os.path.join(cwd, "scripts"))
    shell_env = {"HOME": home, "PATH": shims + ":" + os.environ["PATH"],
                 "LB_DPKG_ROOT": dpkg_root, "LB_DPKG_ADMIN": dpkg_admin}

    # Making them, and their checksums.
    out = env.run(sh[0], cwd=cwd, env=shell_env, timeout=500).stdout
    for f in (env.archive, env.deb):
        check("%s: OK" % os.path.basename(f) in out, "sha256sum -c did not pass %s" % f)
    # The archive: --version prints what the page shows after the block.
    out = env.run(sh[1], cwd=cwd, env=shell_env).stdout
    shown = re.search(r"^```sh\n%s```\n\n```\n(.*?)```" % re.escape(sh[1]), guide, re.S | re.M)
    check(shown and out == shown.group(1), "the page shows %r, the command printed %r" % (
        shown and shown.group(1), out))
    # The Debian package, installed and removed.
    out = env.run(sh[2], cwd=cwd, env=shell_env).stdout
    check("Setting up leakbridge (%s)" % env.version in out and "Removing leakbridge" in out,
          "dpkg did not install and remove the package")
    check(not any(fs for _, _, fs in os.walk(dpkg_root)), "files left after dpkg -r")
    # The jars, into ~/.m2/repository.
    env.run(sh[3], cwd=cwd, env=shell_env)
    repo = os.path.join(home, ".m2", "repository")
    readme_install(env, cwd, shell_env, dpkg_root)

    snippet = blocks(guide, "xml")
    check(len(snippet) == 1, "expected one Maven snippet")
    dep = ET.fromstring(snippet[0])
    group, artifact, version = (dep.findtext(t) for t in ("groupId", "artifactId", "version"))
    check((group, version) == ("io.leakbridge", env.version), "the snippet names %s:%s" % (group, version))
    project = os.path.join(env.work, "project")
    os.makedirs(project)
    with open(os.path.join(project, "pom.xml"), "w") as f:
        f.write("""<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>org.example</groupId><artifactId>uses-leakbridge</artifactId><version>1</version>
  <dependencyManagement><dependencies><dependency>
    <groupId>%s</groupId><artifactId>%s</artifactId><version>%s</version>
    <type>pom</type><scope>import</scope>
  </dependency></dependencies></dependencyManagement>
  <dependencies>
%s  </dependencies>
</project>
""" % (group, artifact, version, snippet[0]))
    # Maven reads an imported POM while it builds the model, from the local repository only.
    env.run(["mvn", "--offline", "--batch-mode", "--quiet", "-Dmaven.repo.local=" + repo,
             "-f", os.path.join(project, "pom.xml"), "validate"], env={"HOME": home})

    pom = pom_of(repo, group, artifact, version)
    scopes = {d.findtext("m:artifactId", None, POM_NS): d.findtext("m:scope", "compile", POM_NS)
              for d in pom.findall("m:dependencies/m:dependency", POM_NS)}
    check(scopes.get("junit-jupiter-api") == "provided" and scopes.get("leakbridge") == "compile",
          "%s's dependencies are %s" % (artifact, scopes))
    jars = runtime_jars(repo, group, artifact, version)
    check(sorted(jars) == ["io.leakbridge:leakbridge", "io.leakbridge:leakbridge-junit5"],
          "the test class path from the POMs is %s" % sorted(jars))

    src = os.path.join(project, "ReleaseJarsTest.java")
    with open(src, "w") as f:
        f.write(JUNIT_TEST)
    classes = os.path.join(project, "classes")
    cp = ":".join(list(jars.values()) + [env.junit_console])
    env.run([os.path.join(env.java_home, "bin", "javac"), "-cp", cp, "-d", classes, src])
    agent = os.path.join(cwd, env.archive_name, "lib", "libleakbridge.so")
    reports = os.path.join(project, "reports")
    p = env.run([os.path.join(env.java_home, "bin", "java"), "-agentpath:%s=sample=0" % agent,
                 "-jar", env.junit_console, "--disable-banner", "--details=tree",
                 "--class-path", ":".join([classes] + list(jars.values())),
                 "--reports-dir", reports, "--select-class", "ReleaseJarsTest"],
                cwd=project, clean=True, expect_exit=1)
    xml = ET.parse(os.path.join(reports, "TEST-junit-jupiter.xml")).getroot()
    verdict = {c.get("name"): c.find("failure") is None for c in xml.iter("testcase")}
    check(verdict == {"keepsBuffers()": False, "dropsBuffers()": True},
          "expected keepsBuffers to fail and dropsBuffers to pass: %s" % verdict)
    check("ReleaseJarsTest.keepsBuffers" in p.stdout, "the failure does not name the leaking site")


if __name__ == "__main__":
    reltest.main(test)
