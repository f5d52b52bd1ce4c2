"""Multi-layer perceptrons: the one-hidden-layer sketch (bank/mlp)."""
