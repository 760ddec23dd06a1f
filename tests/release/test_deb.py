"""The Debian package (docs/release.md): its checksum and control fields, files only under /usr
where the page says, then installed and removed with dpkg. dpkg works on a root and a database
of the test's own (--instdir, --admindir), so the machine's /usr and dpkg database are never
changed (and it needs no root); between the two, the demo runs against the installed agent and
command in a clean environment, and after the removal nothing of the package is left."""
import hashlib
import os
import re

import reltest
from reltest import check


def dpkg(env, admin, root, *args):
    return env.run(["dpkg", "--instdir=" + root, "--admindir=" + admin, "--log=/dev/null",
                    "--force-not-root"] + list(args))


def test(env):
    with open(env.deb + ".sha256") as f:
        digest, name = f.read().split()
    with open(env.deb, "rb") as f:
        check(hashlib.sha256(f.read()).hexdigest() == digest and name == os.path.basename(env.deb),
              "the package's checksum file does not match it")
    info = env.run(["dpkg-deb", "--info", env.deb]).stdout
    for field, value in (("Package", "leakbridge"), ("Version", env.version),
                         ("Architecture", "amd64"), ("Depends", "libc6 (>= 2.17)")):
        check(re.search(r"^ %s: %s$" % (field, re.escape(value)), info, re.M),
              "the control file's %s is not %s" % (field, value))
    listing = env.run(["dpkg-deb", "--contents", env.deb]).stdout
    files = sorted(line.split()[-1][1:] for line in listing.splitlines() if not line.endswith("/"))
    check(all(f.startswith("/usr/") for f in files), "files outside /usr: %s" % files)
    for f in ("/usr/lib/leakbridge/libleakbridge.so", "/usr/bin/leakbridge",
              "/usr/share/java/leakbridge.jar", "/usr/share/java/leakbridge-junit5.jar",
              "/usr/include/leakbridge/leakbridge.h", "/usr/share/doc/leakbridge/README.md",
              "/usr/share/doc/leakbridge/LICENSE", "/usr/share/doc/leakbridge/docs/release.md",
              "/usr/share/doc/leakbridge/docs/report.schema.json"):
        check(f in files, "the package has no %s" % f)

    admin = os.path.join(env.work, "dpkg")
    root = os.path.join(env.work, "root")
    for d in ("info", "updates", "triggers"):
        os.makedirs(os.path.join(admin, d))
    os.makedirs(root)
    for f in ("status", "available"):
        open(os.path.join(admin, f), "w").close()
    # libc6 is in the machine's database, not in this one: its dependency is checked above.
    dpkg(env, admin, root, "--force-depends", "--install", env.deb)
    status = env.run(["dpkg-query", "--admindir=" + admin, "-W", "-f=${Status}", "leakbridge"])
    check(status.stdout == "install ok installed", "dpkg says %r" % status.stdout)
    for f in files:
        check(os.path.isfile(root + f), "dpkg did not install %s" % f)
    env.demo(root + "/usr/lib/leakbridge/libleakbridge.so", root + "/usr/bin/leakbridge", "demo")
    v = env.manifest_version(root + "/usr/share/java/leakbridge.jar")
    check(v == env.version, "leakbridge.jar says Implementation-Version %s" % v)

    dpkg(env, admin, root, "--remove", "leakbridge")
    left = [os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs]
    check(not left, "files left after dpkg --remove: %s" % left)
    status = env.run(["dpkg-query", "--admindir=" + admin, "-W", "-f=${Status}", "leakbridge"],
                     expect_exit=None)
    check("installed" not in status.stdout.replace("not-installed", ""),
          "dpkg still has the package: %r" % status.stdout)


if __name__ == "__main__":
    reltest.main(test)
