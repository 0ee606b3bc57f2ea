"debian repositories"

load("@rules_distroless//apt:index.bzl", "deb_index")

def repositories():
    "declares the debian repositories"

    # bookworm: static, base and cc
    deb_index(
        name = "bookworm",
        lock = "//private/repos/deb:bookworm.lock.json",
        manifest = "//private/repos/deb:bookworm.yaml",
        resolve_transitive = False,
    )

    # bookworm python only
    deb_index(
        name = "bookworm_python",
        lock = "//private/repos/deb:bookworm_python.lock.json",
        manifest = "//private/repos/deb:bookworm_python.yaml",
        resolve_transitive = False,
    )
