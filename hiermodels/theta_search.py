"""The search over theta, the relative covariance factor of a Gaussian mixed model.

:func:`minimize_theta` minimises a profiled deviance (``hiermodels.optimize._Profile``:
its ``deviance(theta)``, start ``theta0``, ``bounds`` and per-factor ``layout``) under
lme4's bounds, and reports convergence only where a restart from the boundary cannot
improve on the end it reached.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize

__all__ = ["minimize_theta", "theta_layout"]

#: Final trust-region radius of the search over theta (its accuracy): full fits and the
#: pilot, which needs two digits, not eight.
_THETA_ACCURACY = {False: 1e-6, True: 1e-3}
#: Rounds of restarts from the boundary before giving up (each improved on the last).
_MAX_RESTARTS = 3
#: A restart that lowers the deviance by less than this found the same optimum.
_SAME_OPTIMUM = 1e-6
#: Restarts put the diagonal entries on the boundary at this value and begin with a trust
#: region this wide: near the end they leave, so that they explore that end's neighbourhood
#: rather than retrace the first search from theta0 (in 240 random small designs with
#: one or two factors, this never ended above the best of six Nelder-Mead starts;
#: restarting at 1 with a radius of 1 did, 3 times).
_RESTART = 0.1


def _search(profile, start: np.ndarray, pilot: bool, radius: float = 1.0):
    return optimize.minimize(
        profile.deviance,
        start,
        method="COBYQA",
        bounds=profile.bounds,
        options={"initial_tr_radius": radius, "final_tr_radius": _THETA_ACCURACY[pilot]},
    )


def _restart_points(profile, theta: np.ndarray, on_boundary: np.ndarray) -> list:
    """Starts off the boundary: the diagonal entries on it at ``_RESTART``, the rest kept.

    A column of a factor's template T enters the model only through its outer product, so
    when its diagonal entry is 0 the entries below it can be negated without changing the
    model; the second start has them negated, so that both signs of the covariances that
    term takes on when its SD leaves 0 are tried.
    """
    kept = np.where(on_boundary, _RESTART, theta)
    negated = kept.copy()
    for entries in profile.layout:
        zero = {col for index, row, col in entries if row == col and on_boundary[index]}
        for index, row, col in entries:
            if col in zero and row != col:
                negated[index] = -negated[index]
    return [kept] if np.array_equal(kept, negated) else [kept, negated]


def minimize_theta(profile, *, pilot: bool = False):
    """Minimise the profiled deviance over theta; ``success`` only if restarts agree.

    Negating a column of a factor's template T changes nothing, so the deviance is even
    in the diagonal entry of a term alone in its block (or last in a correlated block): a
    point where that entry is 0 (an SD of 0, or a correlation of +-1) is stationary in
    that direction whatever the data say, and a gradient method that reaches it stops
    there (L-BFGS-B did, on ScotsSec and Hsb82). Where a zero diagonal entry has entries
    below it, their signs are arbitrary, and a search can stop where leaving the boundary
    would give the covariance the sign the data do not favour.

    The search is COBYQA, a derivative-free trust-region method with quadratic models
    (Powell's successor to the BOBYQA that lme4 uses), from theta0 (1 on the diagonal, 0
    elsewhere). When it ends with a diagonal entry on the boundary, it starts again next
    to that end (see :func:`_restart_points`; lme4's ``restart_edge`` restarts from the
    end too) and keeps the lowest end, until no restart improves. ``success`` is reported
    only for an end off the boundary or one that no restart improved on.

    Parameters
    ----------
    profile
        A ``hiermodels.optimize._Profile``.
    pilot
        Stop at an accuracy of 1e-3 in theta rather than 1e-6 (the parameterisation
        pilot needs two digits).

    Returns
    -------
    scipy.optimize.OptimizeResult
        The lowest end: ``x`` (theta), ``fun`` (the deviance), ``success``, ``message``.
    """
    accuracy = _THETA_ACCURACY[pilot]
    diagonal = np.array([lower == 0.0 for lower, _ in profile.bounds])
    result = _search(profile, profile.theta0, pilot)
    for restarts in range(_MAX_RESTARTS + 1):
        on_boundary = diagonal & (result.x < 10 * accuracy)
        if not on_boundary.any():
            return result
        if restarts == _MAX_RESTARTS:
            break
        starts = _restart_points(profile, result.x, on_boundary)
        ends = [_search(profile, x, pilot, radius=_RESTART) for x in starts]
        best = min(ends, key=lambda end: end.fun)
        if not best.fun < result.fun - _SAME_OPTIMUM:
            result.success = bool(result.success and all(end.success for end in ends))
            return result
        result = best
    result.success = False
    result.message = (
        f"each of {_MAX_RESTARTS} restarts from the boundary of theta improved on the last"
    )
    return result


def theta_layout(design) -> tuple[list[list[tuple[int, int, int]]], np.ndarray, list]:
    """Per factor, the (theta index, row, col) entries of its q x q template T.

    Correlated blocks get a full lower triangle; uncorrelated terms a diagonal entry.
    Returns the layout, the starting theta and the bounds.
    """
    layout, start, bounds = [], [], []
    for g in design.groups:
        entries = []
        for block in g.blocks:
            for j, col in enumerate(block):
                for row in block[j:]:
                    entries.append((len(start), row, col))
                    diagonal = row == col
                    start.append(1.0 if diagonal else 0.0)
                    bounds.append((0.0, None) if diagonal else (None, None))
        layout.append(entries)
    return layout, np.array(start), bounds
