"""Test doubles and builders shared by the tests and the benchmarks (see tests/README.md)."""
