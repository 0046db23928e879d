"""Benchmarks: pipeline overhead and throughput (bench.pipeline), web chat POST throughput (bench.webchat).

Run both with `.venv/bin/python -m bench` (what `make bench` does). Everything runs on loopback, with an
instant fake OpenAI-compatible LLM in its own process, and stops by itself (every loop is bounded in
count and in time).
"""
