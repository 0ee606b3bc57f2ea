X = [
  "b",
  "a"  # last, no comma
]
Y = [p for p in X if p != "a"]
