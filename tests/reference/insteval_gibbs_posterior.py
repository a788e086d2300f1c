"""Long reference run of InstEval's posterior with the NumPy Gibbs sampler (issue #20).

``y ~ service + (1 | s) + (1 | d) + (1 | dept:service)`` on the shipped InstEval, default
priors, ``fit(method="gibbs")`` with 4 chains x 5,000 draws after 1,000 warm-up sweeps,
seed 20261202. The committed ``insteval_gibbs_posterior.csv`` was made with hiermodels at
commit 02970f4, whose sampler did the sweep with NumPy and scipy.sparse over the rows
(before the compiled sweep on sufficient statistics of ``hiermodels.gibbs.kernels``);
``tests/gibbs/test_gibbs.py`` checks that the compiled sampler gives the same posterior.
Its max R-hat and min bulk ESS are in the file's header comment.

Rows: the intercept, the ``service`` slope, the three group SDs, ``sigma``, every
``dept:service`` effect and every 7th level of ``s`` and ``d`` (in the order of the
fit's levels): ``variable,level,mean,sd``.

Run (from the repository root, with PYTHONPATH pointing at the hiermodels to use):
``python tests/reference/insteval_gibbs_posterior.py``. About 2 minutes at 02970f4.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import hiermodels as hm

FORMULA = "y ~ service + (1 | s) + (1 | d) + (1 | dept:service)"
SETTINGS = {"draws": 5000, "tune": 1000, "chains": 4, "random_seed": 20261202}
STEP = 7


def main(out: Path) -> None:
    model = hm.Model(FORMULA, hm.datasets.load("InstEval"))
    fit = model.fit(method="gibbs", progressbar=False, **SETTINGS)
    post = fit.posterior
    rows = []
    for name, da in post.data_vars.items():
        values = da.values.reshape(da.shape[0] * da.shape[1], -1)
        levels = [""] * values.shape[1]
        keep = np.arange(values.shape[1])
        if da.ndim > 2:  # effects (chain, draw, level, term) or SDs (chain, draw, term)
            levels = [str(v) for v in da[da.dims[2]].values]
            if da.ndim == 4 and values.shape[1] > 100:
                keep = keep[::STEP]
        for i in keep:
            rows.append((name, levels[i], values[:, i].mean(), values[:, i].std(ddof=1)))
    report = fit.diagnostics()
    with out.open("w") as f:
        f.write(
            f"# {FORMULA}; {SETTINGS}; max R-hat {report.max_rhat:.4f}, "
            f"min bulk ESS {report.min_ess_bulk:.0f}\n"
        )
        f.write("variable,level,mean,sd\n")
        for name, level, mean, sd in rows:
            f.write(f"{name},{level},{mean:.10g},{sd:.10g}\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_suffix(".csv"))
