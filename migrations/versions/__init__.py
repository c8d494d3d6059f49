"""Migration scripts, one per schema change, named with a date prefix."""
