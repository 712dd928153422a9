"""Reading a table's past: time travel, history, diffs, record history, restore."""
