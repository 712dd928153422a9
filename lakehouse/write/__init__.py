"""Table writes: one Delta commit per run (:mod:`.commit`); the merge rules within an
increment (:mod:`.increment`) and against the table (:mod:`.merge`), built from the
order of rows (:mod:`.order`); and the tombstones deletes leave (:mod:`.tombstones`)."""
