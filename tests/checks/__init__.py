"""Per-check tests: each check run against one of its faults, its failure block pinned."""
