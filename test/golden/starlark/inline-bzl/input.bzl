ARCHS = ["amd64", "ppc64le"]  # inline
OTHER = ARCHS + ["riscv64"]
