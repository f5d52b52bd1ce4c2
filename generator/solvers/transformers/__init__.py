"""Transformers: the blanks of the transformer diagram (bank/transformers)."""
