"""Generative models: a VAE's factorisation and the Wasserstein distance (bank/generative)."""
