"""Distributional parameters of a fit: their values on new rows, and their summary block.

:func:`row_parameter_draws` gives ``predict`` the per-row draws of each parameter with
a formula, for the fitted rows or for new data (new levels of a factor in a formula drawn
from that formula's own SDs, or set to 0, as ``new_groups`` says).
:func:`distributional_table` is the block the summary prints under each parameter's
formula: coefficients on the link scale, then the SDs of its group terms.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from hiermodels import naming
from hiermodels.design.distributional import part_group_name, prediction_parts
from hiermodels.diagnostics import describe_draws
from hiermodels.families.links import inverse_link
from hiermodels.inference.distributional import distributional_draws, part_posterior
from hiermodels.new_levels import as_new_groups, linear_predictor_with_new_levels
from hiermodels.options import PROB, check_prob

if TYPE_CHECKING:  # pragma: no cover
    from hiermodels.protocols import FitLike

__all__ = ["distributional_table", "row_parameter_draws"]


def row_parameter_draws(
    fit: FitLike,
    posterior,
    data: pd.DataFrame | None,
    *,
    new_groups: str,
    rng: np.random.Generator,
    all_new: bool = False,
) -> dict[str, np.ndarray]:
    """Per parameter with a formula, its draws on each row of ``data`` (chain, draw, rows);
    ``data=None`` for the fitted rows."""
    parts = fit.design.distributional
    if not parts:
        return {}
    if data is None and not all_new:
        return distributional_draws(posterior, fit.design)
    data = fit.model.data if data is None else data
    rebuilt = prediction_parts(parts, data)
    out = {}
    for part in parts:
        new = as_new_groups(rebuilt[part.parameter]) if all_new else rebuilt[part.parameter]
        eta = linear_predictor_with_new_levels(
            part_posterior(posterior, part),
            new.design,
            new.new_levels,
            new_groups=new_groups,
            rng=rng,
        )
        out[part.parameter] = inverse_link(part.link, eta)
    return out


def distributional_table(fit: FitLike, parameter: str, *, prob: float = PROB) -> pd.DataFrame:
    """The coefficients (link scale) and group SDs of ``parameter``'s formula.

    Indexed by term (``Intercept``, ``Days``, ``sd(Intercept | Subject)``), with the
    columns of :meth:`hiermodels.Fit.fixed_effects`.
    """
    check_prob(prob)
    (part,) = [p for p in fit.design.distributional if p.parameter == parameter]
    post = fit.posterior
    rows = []
    for name in part.design.fixed.names:
        if name == naming.INTERCEPT:
            rows.append((name, post[f"{parameter}_{naming.INTERCEPT}"]))
        else:
            da = post[f"{parameter}_{naming.SLOPES}"]
            rows.append((name, da.sel({f"{parameter}_{naming.FIXED_DIM}": name}, drop=True)))
    for g in part.design.groups:
        inner = part_group_name(parameter, g.name)
        sd = post[naming.sd_name(inner)]
        for term in g.terms:
            da = sd.sel({naming.term_dim(inner): term}, drop=True)
            rows.append((f"sd({term} | {g.name})", da))
    frames = []
    for label, da in rows:
        frame = describe_draws(da, prob=prob)
        frame.index = [label]
        frames.append(frame)
    out = pd.concat(frames)
    out.index.name = "term"
    return out
