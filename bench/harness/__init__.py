"""The ``make bench`` harness (issue 10): a cached data set of issued certificates, the real
ecert app and its baselines under uvicorn, wrk rounds interleaved with their baselines, and
a markdown table of ratios. Entry point: ``bench/run_bench.py``."""
