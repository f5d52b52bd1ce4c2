"""Exports of a built exam beyond the PDFs (machine-readable answer keys)."""
