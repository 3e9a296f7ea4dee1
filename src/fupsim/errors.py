"""Errors for bad input (exit code 2 on the command line), and the TERM signal as an interrupt.

This module imports nothing else, so the command line can catch these errors without loading
the scenario models (pydantic) or any other heavy dependency.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["ParameterError", "ScenarioError", "Terminated"]


class ScenarioError(ValueError):
    """Bad input: the message is one line naming the field, the value and what is allowed."""


class ParameterError(ScenarioError):
    """A function's parameter has a value it does not allow.

    The library names its own parameter (``draws``, ``replications``); the command line
    rewrites the name as the option that set it (``--draws``) with :meth:`as_option`.

    Parameters
    ----------
    parameter : str
        The name of the function parameter, as the library spells it.
    value : str
        The value given, as it should be shown (already formatted).
    rule : str
        What is allowed, or what is wrong with the value.

    Examples
    --------
    >>> err = ParameterError("draws", "0", "must be at least 1")
    >>> str(err)
    'draws = 0: must be at least 1'
    >>> err.as_option({"draws": "--draws"})
    '--draws 0: must be at least 1'
    """

    def __init__(self, parameter: str, value: str, rule: str) -> None:
        self.parameter = parameter
        self.value = value
        self.rule = rule
        shown = f" = {value}" if value else ""
        super().__init__(f"{parameter}{shown}: {rule}")

    def as_option(self, options: Mapping[str, str]) -> str:
        """The message worded for the command line: the parameter replaced by its option.

        Parameters
        ----------
        options : mapping of str to str
            Parameter name → the option that sets it (``{"draws": "--draws"}``). A parameter
            not in it is left as the library named it.
        """
        option = options.get(self.parameter)
        if option is None:
            return str(self)
        shown = f" {self.value}" if self.value else ""
        return f"{option}{shown}: {self.rule}"


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived: raised in the main thread so Ctrl-C's clean-up runs for TERM too."""
