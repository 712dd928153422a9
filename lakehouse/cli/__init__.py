"""The ``lakehouse`` command: the only place that prints or exits."""
