"""Benchmark commands: each prints what it measured on this machine."""
