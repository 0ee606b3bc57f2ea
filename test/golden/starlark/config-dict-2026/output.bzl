PYTHON_DISTROS = ["debian12", "debian13"]
PYTHON_ARCHITECTURES = {
    "debian12": ["amd64", "arm64"],
    "debian13": ["amd64", "arm64", "riscv64"],
}

# Packages of the python image, per distro.
PYTHON_PACKAGES = {
    "debian12": [
        "libbz2-1.0",
        "zlib1g",
    ],
    "debian13": [
        # core
        "libbz2-1.0",
        "libdb5.3t64",  # berkeley db
        "zlib1g",
        # python itself
        "libpython3.13-minimal",
        "python3.13-minimal",
        "ffmpeg",
        "libavcodec61",
    ],
}
