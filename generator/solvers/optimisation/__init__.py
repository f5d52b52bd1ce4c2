"""Optimisation: learning-rate schedules, momentum and RMSprop (bank/optimisation)."""
