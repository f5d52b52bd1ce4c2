"""Containment of untrusted input, one place per boundary: the YAML loader (limits, duplicate
keys), the bounded Jinja sandbox, and the opt-in loading of a bank's own solver code."""
