"""The valid range of each parameter of the prior distributions, checked when a prior is made.

A :class:`~hiermodels.spec.priors.Prior` names a PyMC distribution, but this module is pure
Python (no PyMC import): the table below gives, per distribution, the support of each of
its parameters as PyMC defines it, and the rules that tie two parameters together (such as
``lower < upper``). A distribution or parameter not in the table is left to the backend,
which checks names against PyMC itself.

Examples
--------
>>> check_support("Normal", {"mu": 0, "sigma": 1})
>>> try:
...     check_support("Normal", {"mu": 0, "sigma": -1})
... except PriorError as err:
...     print(err)
Invalid prior Normal(mu=0, sigma=-1): sigma must be a finite number > 0, got sigma=-1.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping

from hiermodels.errors import PriorError

__all__ = ["SUPPORT", "check_support"]

# Each kind of range: (test of one finite value, how the message states the range).
_KINDS: dict[str, tuple[Callable[[float], bool], str]] = {
    "real": (lambda v: True, "a finite number"),
    "pos": (lambda v: v > 0, "a finite number > 0"),
    "nonneg": (lambda v: v >= 0, "a finite number >= 0"),
    "prob": (lambda v: 0 <= v <= 1, "a number in [0, 1]"),
    "open_unit": (lambda v: 0 < v < 1, "a number in (0, 1)"),
    "half_open_unit": (lambda v: 0 < v <= 1, "a number in (0, 1]"),
    "int": (lambda v: v == int(v), "an integer"),
    "count": (lambda v: v >= 0 and v == int(v), "an integer >= 0"),
    "pos_int": (lambda v: v >= 1 and v == int(v), "an integer >= 1"),
}

_LOC_SCALE = {"mu": "real", "sigma": "pos", "tau": "pos"}

#: Distribution name -> parameter name -> kind of range (a key of ``_KINDS``).
SUPPORT: dict[str, dict[str, str]] = {
    # continuous
    "Normal": _LOC_SCALE,
    "HalfNormal": {"sigma": "pos", "tau": "pos"},
    "TruncatedNormal": {**_LOC_SCALE, "lower": "real", "upper": "real"},
    "LogNormal": _LOC_SCALE,
    "Lognormal": _LOC_SCALE,
    "SkewNormal": {**_LOC_SCALE, "alpha": "real"},
    "StudentT": {"nu": "pos", "mu": "real", "sigma": "pos", "lam": "pos"},
    "HalfStudentT": {"nu": "pos", "sigma": "pos", "lam": "pos"},
    "SkewStudentT": {"a": "pos", "b": "pos", "mu": "real", "sigma": "pos", "lam": "pos"},
    "Cauchy": {"alpha": "real", "beta": "pos"},
    "HalfCauchy": {"beta": "pos"},
    "Exponential": {"lam": "pos", "scale": "pos"},
    "Gamma": {"alpha": "pos", "beta": "pos", "mu": "pos", "sigma": "pos"},
    "InverseGamma": {"alpha": "pos", "beta": "pos", "mu": "pos", "sigma": "pos"},
    "Weibull": {"alpha": "pos", "beta": "pos"},
    "Beta": {"alpha": "pos", "beta": "pos", "mu": "open_unit", "sigma": "pos", "nu": "pos"},
    "Kumaraswamy": {"a": "pos", "b": "pos"},
    "Uniform": {"lower": "real", "upper": "real"},
    "Triangular": {"lower": "real", "upper": "real", "c": "real"},
    "Laplace": {"mu": "real", "b": "pos"},
    "AsymmetricLaplace": {"kappa": "pos", "mu": "real", "b": "pos", "q": "open_unit"},
    "Logistic": {"mu": "real", "s": "pos"},
    "Gumbel": {"mu": "real", "beta": "pos"},
    "Moyal": {"mu": "real", "sigma": "pos"},
    "ExGaussian": {"mu": "real", "sigma": "pos", "nu": "pos"},
    "VonMises": {"mu": "real", "kappa": "pos"},
    "Wald": {"mu": "pos", "lam": "pos", "phi": "pos", "alpha": "nonneg"},
    "Pareto": {"alpha": "pos", "m": "pos"},
    "Rice": {"nu": "nonneg", "sigma": "pos", "b": "nonneg"},
    "PolyaGamma": {"h": "pos", "z": "real"},
    "Flat": {},
    "HalfFlat": {},
    "Interpolated": {},
    # discrete
    "Bernoulli": {"p": "prob", "logit_p": "real"},
    "Binomial": {"n": "count", "p": "prob", "logit_p": "real"},
    "BetaBinomial": {"alpha": "pos", "beta": "pos", "n": "count"},
    "Poisson": {"mu": "pos"},
    "NegativeBinomial": {"mu": "pos", "alpha": "pos", "p": "half_open_unit", "n": "pos"},
    "Geometric": {"p": "half_open_unit"},
    "DiscreteWeibull": {"q": "open_unit", "beta": "pos"},
    "DiscreteUniform": {"lower": "int", "upper": "int"},
    "HyperGeometric": {"N": "pos_int", "k": "count", "n": "count"},
    "Categorical": {"p": "prob", "logit_p": "real"},
    # multivariate and time series (the parameters that have an elementwise range)
    "LKJ": {"eta": "pos"},
    "LKJCorr": {"n": "pos_int", "eta": "pos"},
    "Dirichlet": {"a": "pos"},
    "DirichletMultinomial": {"n": "count", "a": "pos"},
    "Multinomial": {"n": "count", "p": "prob"},
    "MvNormal": {},
    "MvStudentT": {"nu": "pos"},
    "MatrixNormal": {},
    "KroneckerNormal": {"sigma": "pos"},
    "Wishart": {"nu": "pos"},
    "StickBreakingWeights": {"alpha": "pos", "K": "pos_int"},
    "ZeroSumNormal": {"sigma": "pos"},
    "ICAR": {"sigma": "pos"},
    "CAR": {"tau": "pos"},
    "AR": {"sigma": "pos", "tau": "pos"},
    "GARCH11": {"omega": "pos", "alpha_1": "nonneg", "beta_1": "nonneg", "initial_vol": "pos"},
    "RandomWalk": {},
    "EulerMaruyama": {},
}


def _values(value) -> list | None:
    """The numbers in ``value`` (a number, a sequence or an array), or None if any is not."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, list | tuple):
        out = []
        for item in value:
            inner = _values(item)
            if inner is None:
                return None
            out.extend(inner)
        return out
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    return [float(value)]


def _args(params: Mapping[str, object]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in params.items())


def _pairwise(dist: str, params: Mapping[str, list[float]]) -> tuple[str, tuple] | None:
    """The rule tying parameters together that ``params`` breaks, and their names."""
    single = {k: v[0] for k, v in params.items() if len(v) == 1}
    lo, hi, c = single.get("lower"), single.get("upper"), single.get("c")
    bounded = dist in ("Uniform", "TruncatedNormal", "Triangular")
    if bounded and None not in (lo, hi) and not lo < hi:
        return "lower < upper", ("lower", "upper")
    if dist == "Triangular" and None not in (lo, hi, c) and not lo <= c <= hi:
        return "lower <= c <= upper", ("lower", "c", "upper")
    if dist == "DiscreteUniform" and None not in (lo, hi) and not lo <= hi:
        return "lower <= upper", ("lower", "upper")
    if dist == "Beta" and {"mu", "sigma"} <= single.keys():
        if not single["sigma"] ** 2 < single["mu"] * (1 - single["mu"]):
            return "sigma**2 < mu * (1 - mu)", ("mu", "sigma")
    for name in ("k", "n"):
        if dist == "HyperGeometric" and {name, "N"} <= single.keys() and single[name] > single["N"]:
            return f"{name} <= N", (name, "N")
    return None


def check_support(dist: str, params: Mapping[str, object]) -> None:
    """Raise :class:`PriorError` if a parameter of ``dist`` is outside its valid range.

    Parameters
    ----------
    dist
        The distribution name. Names not in :data:`SUPPORT` are not checked here.
    params
        The parameters, numbers or arrays of numbers (checked element by element).

    Raises
    ------
    PriorError
        Naming the parameter, its value and the valid range.
    """
    table = SUPPORT.get(dist)
    if table is None:
        return
    label = f"{dist}({_args(params)})"
    numeric: dict[str, list[float]] = {}
    for name, value in params.items():
        kind = table.get(name)
        if kind is None:
            continue
        test, text = _KINDS[kind]
        values = _values(value)
        if values is None or not all(math.isfinite(v) and test(v) for v in values):
            raise PriorError(f"Invalid prior {label}: {name} must be {text}, got {name}={value!r}.")
        numeric[name] = values
    broken = _pairwise(dist, numeric)
    if broken is not None:
        rule, names = broken
        involved = {k: params[k] for k in names}
        raise PriorError(f"Invalid prior {label}: {dist} needs {rule}, got {_args(involved)}.")
