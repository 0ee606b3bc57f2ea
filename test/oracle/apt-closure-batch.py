#!/usr/bin/python3
"""apt's closure of each package named on stdin (one per line), on its own, through libapt-pkg (python3-apt).

Run by apt-closure.sh --batch with APT_CONFIG set to its isolated configuration after `apt-get update`. It does
what `apt-get -s install --no-install-recommends NAME` does for one name (apt-get's DoInstall: protect the
package, MarkInstall without then with automatic installation, then the problem resolver), but loads apt's cache
once for all names: the depcache is reset before each name. Output is apt-closure.sh --each's: "== NAME" and the sorted
"name version" lines, or "== NAME !" and apt's reason.
"""
import sys

import apt_pkg

apt_pkg.init_config()
apt_pkg.init_system()
cache = apt_pkg.Cache(None)
packages = list(cache.packages)
dep = apt_pkg.DepCache(cache)
out = sys.stdout
for line in sys.stdin:
    name = line.strip()
    if not name:
        continue
    try:
        pkg = cache[name]
    except KeyError:
        out.write(f"== {name} !\nE: Unable to locate package {name}\n")
        continue
    dep.init()  # a fresh state: nothing marked
    if dep.get_candidate_ver(pkg) is None:
        out.write(f"== {name} !\nE: Package {name} has no installation candidate\n")
        continue
    fix = apt_pkg.ProblemResolver(dep)
    fix.clear(pkg)
    fix.protect(pkg)
    dep.mark_install(pkg, False)
    dep.mark_install(pkg, True, True)
    try:
        fix.resolve(True)
    except SystemError as e:
        out.write(f"== {name} !\nE: {e}\n")
        continue
    if dep.broken_count > 0 or not dep.marked_install(pkg):
        out.write(f"== {name} !\nE: Unable to correct problems, you have held broken packages.\n")
        continue
    lines = sorted(f"{p.name} {dep.get_candidate_ver(p).ver_str}" for p in packages if dep.marked_install(p))
    out.write(f"== {name}\n" + "".join(f"{l}\n" for l in lines))
    out.flush()
