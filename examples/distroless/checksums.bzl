BASE_ARCHITECTURES = ["amd64", "arm64"]

# Every image of this workspace is built for the base architectures.
ARCHITECTURES = BASE_ARCHITECTURES

VERSIONS = [
    ("debian12", "bookworm", "12"),
]
