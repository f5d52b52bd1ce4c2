"""Grading semantics, shared by the key, every export and `examgen grade`: what each part's
declared response (models.Response) expects, rounded once to the stated precision, and the
tolerance every format grades with."""
