"""Voronka at scale, measured against the raw database as the limit.

``python -m benchmarks [scenario …] [--quick]`` builds data with the demo generator (reused
between runs when the sizes match), times each scenario through the application and the same
work in raw SQL, prints a table and writes JSON under ``var/bench/``. See docs/performance.md.
"""
