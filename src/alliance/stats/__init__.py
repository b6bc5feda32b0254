"""Agreement statistics, study planning, effect sizes and input checks: the ground layer.

Nothing here knows about the study; every other layer may import it.
"""
