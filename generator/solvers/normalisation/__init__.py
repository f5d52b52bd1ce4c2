"""Normalisation: adding batch normalisation to a model (bank/normalisation)."""
