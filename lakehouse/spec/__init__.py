"""The job spec, the profile and the project file: YAML turned into strict models. Never imports Spark."""
