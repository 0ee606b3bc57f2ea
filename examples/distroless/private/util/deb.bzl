"labels of debian packages of the repositories under private/repos/deb"

DIST_ALIAS = dict(
    debian12 = "bookworm",
    bookworm = "debian12",
)

ARCH_ALIAS = dict(
    amd64 = "amd64",
    arm64 = "arm64",
)

def _repo(arch, dist):
    dist = DIST_ALIAS[dist]
    arch = ARCH_ALIAS[arch]

    # language images take their packages from their own repository
    pkg = native.package_name()
    if pkg == "python3":
        dist += "_python"

    return (arch, dist)

def _package(arch, dist, package):
    (arch, dist) = _repo(arch, dist)
    return "@{dist}//{package}/{arch}".format(arch = arch, dist = dist, package = package)

deb = struct(
    package = _package,
)
