"""Losses: cross-entropy and the loss of an untrained softmax classifier (bank/losses)."""
