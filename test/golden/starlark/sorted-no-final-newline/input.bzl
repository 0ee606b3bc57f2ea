# sorted on purpose
PACKAGES = [
    "base-files",  # first
    # the C library
    "libc6",
    "netbase",
    "tzdata",
] + select({
    "@platforms//cpu:arm64": ["arm-only"],
    "//conditions:default": [],
})