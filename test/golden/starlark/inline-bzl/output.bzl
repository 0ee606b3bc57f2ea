ARCHS = ["amd64", "arm64", "ppc64le", "s390x"]  # inline
OTHER = ARCHS + ["riscv64"]
