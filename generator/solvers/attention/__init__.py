"""Attention: self-attention by hand and hard attention (bank/attention)."""
