"""The stages of one run (read, transform, check) and the runner that wires them."""
