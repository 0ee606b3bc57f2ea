X = [
  "b",
  "a",  # last, no comma
  "c"
]
Y = [p for p in X if p != "a"]
