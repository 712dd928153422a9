"""What lakehouse knows about a Delta table: where it is, its log's lineage, its metrics."""
