"""The vision pipeline: frames in, typed events out. Pure Python: no Django here (see docs/architecture.md)."""
