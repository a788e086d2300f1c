"""Simulation-based calibration (SBC): does the sampler recover the prior on average?

:func:`sbc` draws ``n_sims`` parameter sets from the model's prior. For each, it
simulates a response with the model's design (the same predictors, groups and
trials) and refits the model to it. Then it ranks the true value among thinned
posterior draws. If the sampler draws from the right posterior, each parameter's ranks
are uniform (Talts, Betancourt, Simpson, Vehtari & Gelman 2018, arXiv:1804.06788).
:class:`SBCResult` holds the ranks, tests them (:meth:`SBCResult.uniformity`) and
plots their ECDFs with simultaneous bands (:meth:`SBCResult.plot`).

Each worker process compiles the model once. The response is a data container, so
every simulation after the first only swaps the response and samples. The prior is
the model's prior, scaled once from the original data. It does not depend on the
simulated data, as SBC requires.

Examples
--------
>>> import hiermodels as hm
>>> sleep = hm.datasets.load("sleepstudy")
>>> model = hm.Model("Reaction ~ Days + (1 | Subject)", sleep)
>>> result = hm.sbc(model, n_sims=100, random_seed=1)  # doctest: +SKIP
>>> result.uniformity()["p_bonferroni"].min() > 0.01  # doctest: +SKIP
True

On a Dask cluster (local, or remote by its scheduler's address):

>>> from distributed import Client, LocalCluster  # doctest: +SKIP
>>> with LocalCluster(n_workers=2, threads_per_worker=1) as cluster, Client(cluster) as client:
...     result = hm.sbc(model, n_sims=200, random_seed=1, executor=client)  # doctest: +SKIP
"""

from hiermodels.sbc.parameters import tracked_parameters
from hiermodels.sbc.result import SBCResult
from hiermodels.sbc.run import sbc

__all__ = ["SBCResult", "sbc", "tracked_parameters"]
