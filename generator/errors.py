"""One error tree: the CLI catches ExamgenError and prints one line; anything else is a bug."""
from __future__ import annotations


class ExamgenError(Exception):
    """Base of every error a user can cause and fix (bad bank file, bad spec, unsatisfiable rule...)."""


class BankError(ExamgenError):
    """A question template file is malformed, or a template id is unknown."""


class SpecError(ExamgenError):
    """An exam spec is malformed or asks for something the bank cannot give."""


class ParamError(ExamgenError):
    """A parameter value given with --set or in a preset is not valid for its template."""


class SamplingError(ExamgenError):
    """A template's validity rules could not be satisfied within the try budget."""


class SolveError(ExamgenError):
    """A solver failed on an instance."""


class RenderError(ExamgenError):
    """A Jinja template could not be rendered (undefined variable, syntax error)."""


class LatexError(ExamgenError):
    """pdflatex failed; the message quotes the offending lines of the log."""


class SetupError(ExamgenError):
    """Something the build needs (pdflatex, a device) is missing on this machine."""


class OutputError(ExamgenError):
    """The output folder cannot be created or written."""


class GradeError(ExamgenError):
    """A responses file or a build folder `examgen grade` cannot use (the message names the row)."""


class Interrupted(BaseException):
    """Ctrl-C or SIGTERM stopped a build; `exit_code` is 128 + the signal number, as shells expect.

    A BaseException, like KeyboardInterrupt: raised by the signal handler wherever the main thread
    happens to be, it must not be swallowed by a library's `except Exception` (sympy has some)."""

    def __init__(self, message: str, exit_code: int = 130) -> None:
        super().__init__(message)
        self.exit_code = exit_code
