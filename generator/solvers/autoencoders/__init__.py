"""Autoencoders: a ReLU autoencoder's forward pass and gradients (bank/autoencoders)."""
