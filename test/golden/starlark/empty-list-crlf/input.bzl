PACKAGES = {
    "debian12": [],
    "debian13": [],
}
