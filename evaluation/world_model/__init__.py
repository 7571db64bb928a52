"""Motus measured as a world model: the offline suite over held-out episodes (``motus-eval-model``: all five
inference modes, frame and action metrics per horizon step, against a baseline) and the metrics the closed-loop
imagination gap shares with it."""
