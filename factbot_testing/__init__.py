"""Test support shared by tests/ and benchmarks/ (not shipped): the in-process fake Bot API."""
