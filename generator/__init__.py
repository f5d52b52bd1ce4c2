"""examgen: a question-bank generator and LaTeX exam compiler for deep-learning courses."""

__version__ = "0.1.0"
