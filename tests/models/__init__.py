"""Pure-Python reference models of the write modes, used by the property tests (no Spark)."""
