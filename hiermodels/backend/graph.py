"""The model's graph as PyMC draws it (``pm.model_to_graphviz``), with clear errors.

Drawing needs two pieces that hiermodels does not install: the ``graphviz`` Python
package (``pip install graphviz``), which builds the graph, and Graphviz's ``dot``
program (``apt install graphviz``, ``brew install graphviz``, or conda's ``graphviz``),
which renders it in a notebook or to a file. :func:`model_graph` checks both first and
names the one that is missing.
"""

from __future__ import annotations

import importlib.util
import shutil

from hiermodels import naming
from hiermodels.errors import MissingDependencyError

__all__ = ["model_graph"]


def _missing_pieces() -> list[str]:
    missing = []
    if importlib.util.find_spec("graphviz") is None:
        missing.append("the 'graphviz' Python package (pip install graphviz)")
    if shutil.which("dot") is None:
        missing.append(
            "Graphviz's 'dot' program on the PATH (apt install graphviz, brew install "
            "graphviz, or conda install graphviz)"
        )
    return missing


def model_graph(pymc_model, *, name: str, **kwargs):
    """Return ``pm.model_to_graphviz(pymc_model, **kwargs)``, a ``graphviz.Digraph``.

    Parameters
    ----------
    pymc_model
        The PyMC model.
    name
        How the model is named in the error message (its formula).
    **kwargs
        Passed to :func:`pymc.model_to_graphviz` (``var_names``, ``figsize``, ``dpi``,
        ``save``, ...). Without ``var_names`` the graph leaves out the data containers
        that hold prior parameters and the centring vector (they are data only so that
        the compiled model can be reused; see :mod:`hiermodels.cached_entry`).

    Raises
    ------
    MissingDependencyError
        When the ``graphviz`` package or the ``dot`` program is missing; the message
        names each missing piece and how to install it.
    """
    missing = _missing_pieces()
    if missing:
        raise MissingDependencyError(
            f"Drawing the graph of {name} needs {' and '.join(missing)}; "
            f"{'it is' if len(missing) == 1 else 'they are'} not installed."
        )
    import pymc as pm

    graph = pm.model_to_graphviz(pymc_model, **kwargs)
    if "var_names" not in kwargs:  # drop the nodes and edges of those containers
        hidden = (naming.data_name("prior_"), naming.data_name("centre"))
        graph.body = [line for line in graph.body if not any(h in line for h in hidden)]
    return graph
