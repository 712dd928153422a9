"""lakehouse: declare Delta Lake batch jobs on Apache Spark in YAML.

Importing the package does not import Spark; ``lakehouse.run.runner`` and
``lakehouse.audit.read`` do.
"""

__version__ = "0.1.0"
