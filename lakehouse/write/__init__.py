"""Table writes: one Delta commit per run (:mod:`.commit`), the merge rules (:mod:`.merge`)
and the tombstones deletes leave (:mod:`.tombstones`)."""
