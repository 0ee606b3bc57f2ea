"base images, replicated per distribution"

load("@rules_oci//oci:defs.bzl", "oci_image")
load("//:checksums.bzl", "ARCHITECTURES")
load("//private/util:deb.bzl", "deb")

USER_VARIANTS = [("root", 0, "/"), ("nonroot", 65532, "/home/nonroot")]

def base_images(distro):
    """static, base_nossl and base images for one distribution

    Args:
        distro: name of the distribution
    """
    for arch in ARCHITECTURES:
        for (user, uid, workdir) in USER_VARIANTS:
            oci_image(
                name = "static_" + user + "_" + arch + "_" + distro,
                tars = [
                    deb.package(arch, distro, "base-files"),
                    deb.package(arch, distro, "netbase"),
                    deb.package(arch, distro, "tzdata"),
                    "//common:rootfs.tar",
                ],
                user = "%d" % uid,
                workdir = workdir,
                os = "linux",
                architecture = arch,
            )

            oci_image(
                name = "base_nossl_" + user + "_" + arch + "_" + distro,
                base = ":static_" + user + "_" + arch + "_" + distro,
                tars = [
                    deb.package(arch, distro, "libc6"),
                ],
            )

            # distribution-specific packages of the base image
            BASE_DISTRO_DEBS = {
                "debian12": [
                    "libssl3",
                ],
            }

            oci_image(
                name = "base_" + user + "_" + arch + "_" + distro,
                base = ":static_" + user + "_" + arch + "_" + distro,
                tars = [
                    deb.package(arch, distro, "libc6"),
                ] + [
                    deb.package(arch, distro, pkg)
                    for pkg in BASE_DISTRO_DEBS[distro]
                ],
            )

            # the debug variant (busybox on top of base), which cc and python3 build their :debug images on
            oci_image(
                name = "debug_" + user + "_" + arch + "_" + distro,
                base = ":base_" + user + "_" + arch + "_" + distro,
                tars = [
                    "//common:busybox.tar",
                ],
            )
