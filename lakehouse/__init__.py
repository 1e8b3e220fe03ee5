"""Tooling for the retail lakehouse: server lifecycle, data generation, profiling, checks."""

__version__ = "0.1.0"
