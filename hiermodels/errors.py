"""The one exception and warning hierarchy of hiermodels.

Every error raised for bad user input is a :class:`HiermodelsError`. Messages name the
offending value and list the valid choices.

Examples
--------
>>> import hiermodels as hm
>>> issubclass(hm.errors.FormulaError, hm.errors.HiermodelsError)
True
"""

from __future__ import annotations

__all__ = [
    "ConvergenceWarning",
    "DataError",
    "FormulaError",
    "HiermodelsError",
    "HiermodelsWarning",
    "HypothesisError",
    "MissingDataWarning",
    "MissingDependencyError",
    "PriorError",
    "RowsNotHeldError",
    "SamplerError",
    "SpecError",
]


class HiermodelsError(Exception):
    """Base class of every hiermodels error."""


class FormulaError(HiermodelsError, ValueError):
    """A formula cannot be parsed or refers to something that does not exist.

    Parameters
    ----------
    message
        What is wrong.
    formula
        The formula text, if known.
    position
        Character offset of the offending token in ``formula``; a caret marks it.
    """

    def __init__(self, message: str, formula: str | None = None, position: int | None = None):
        self.formula = formula
        self.position = position
        text = message
        if formula is not None:
            text += f"\n    {formula}"
            if position is not None:
                text += "\n    " + " " * max(position, 0) + "^"
        super().__init__(text)


class HypothesisError(FormulaError):
    """A hypothesis (``fit.hypothesis("Days > 0")``) cannot be parsed or names an
    unknown parameter; a caret marks the offending token."""


class SpecError(HiermodelsError, ValueError):
    """An option or specification value is not one of the valid choices."""


class PriorError(SpecError):
    """A prior is malformed or addresses a parameter the model does not have."""


class DataError(HiermodelsError, ValueError):
    """The data cannot be used for the model as given."""


class RowsNotHeldError(DataError):
    """A computation needs the model's rows, but the model holds only sums over them (a
    model on a Dask DataFrame); the message says what to do instead."""


class SamplerError(SpecError):
    """The sampler choice or its settings are invalid, or an optional sampler is missing."""


class MissingDependencyError(HiermodelsError, ImportError):
    """An optional package or program that a feature needs is not installed; the message
    names it and how to install it."""


class HiermodelsWarning(UserWarning):
    """Base class of every hiermodels warning."""


class ConvergenceWarning(HiermodelsWarning):
    """The sampler's diagnostics suggest the posterior draws are not trustworthy."""


class MissingDataWarning(HiermodelsWarning):
    """Rows were dropped because of missing values (only with ``missing="drop"``)."""


class ParetoKWarning(HiermodelsWarning):
    """PSIS-LOO is unreliable for some rows (Pareto k above the threshold)."""
