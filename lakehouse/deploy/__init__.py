"""Cluster runs: the wheel and bundle shipped, spark-submit, EMR steps, Databricks jobs."""
