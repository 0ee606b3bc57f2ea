DISTROS = ["debian12"]
