"""Workflows: orchestration only. Deterministic: no I/O, no clocks but workflow.now()."""
