# sorted on purpose
PACKAGES = [
    "aaa",
    "base-files",  # first
    # the C library
    "libc6",
    "libm",
    "netbase",
    "tzdata",
    "zzz",
] + select({
    "@platforms//cpu:arm64": ["arm-only"],
    "//conditions:default": [],
})