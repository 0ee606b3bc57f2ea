PACKAGES = {
    "debian12": ["libc6", "base-files"],
    "debian13": [],
}
