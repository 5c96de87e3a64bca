"""Delivery: the Web API gateway and pacing, claims for once-only work, tracked tasks, periodic jobs."""
