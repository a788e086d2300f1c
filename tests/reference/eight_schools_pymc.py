"""Long reference run of the eight schools in plain PyMC (issue #15).

The model of Rubin (1981) and Gelman et al. (BDA3, section 5.5), with the priors of the
issue: ``y_j ~ Normal(theta_j, sigma_j)`` with the known standard errors ``sigma_j``,
``theta_j = mu + tau * eta_j``, ``eta_j ~ Normal(0, 1)`` (non-centred),
``mu ~ Normal(0, 5)``, ``tau ~ HalfCauchy(5)``.

Two models are run. ``prior_on_mu`` is the model as written above. ``prior_on_mean_theta``
puts the Normal(0, 5) prior on the mean of the eight ``theta_j`` instead of on ``mu``:
that is the model hiermodels fitted for ``priors={"Intercept": Normal(0, 5)}`` until
December 2026, when its sampler moved the mean of the group effects into the sampled
intercept and applied the intercept's prior to that sum. The two differ only through that
prior (by about 0.1 posterior SD in the mean of ``mu`` and 10% in its SD here). hiermodels
now fits ``prior_on_mu`` (see ``hiermodels.backend.shear``); the second model is kept to
show the size of the difference.

Run: ``python tests/reference/eight_schools_pymc.py`` (from the repository root). It
writes ``eight_schools_reference.json`` beside itself: per model, the posterior mean and
SD of ``mu`` and ``tau``, the 5/50/95% quantiles of each ``theta_j``, divergences, R-hat
and ESS, and the run's length and seed. Length: 4 chains x 25,000 draws after 5,000 tuning steps,
pm.sample with target_accept=0.99 (PyMC 6 hands NUTS to nutpie here), per model.
About 40 s each.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import arviz_stats as azs
import pandas as pd
import pymc as pm

HERE = Path(__file__).resolve().parent
DRAWS, TUNE, CHAINS, SEED = 25_000, 5_000, 4, 20261201


def _fit(data: pd.DataFrame, prior_on: str):
    """Sample one of the two models; return the posterior of mu, tau and theta."""
    schools = data["school"].tolist()
    with pm.Model(coords={"school": schools}):
        tau = pm.HalfCauchy("tau", 5.0)
        eta = pm.Normal("eta", 0.0, 1.0, dims="school")
        effects = tau * eta
        if prior_on == "mu":
            mu = pm.Normal("mu", 0.0, 5.0)
            theta = pm.Deterministic("theta", mu + effects, dims="school")
        else:
            # Normal(0, 5) on the mean of the theta_j, the coefficient hiermodels samples
            centre = pm.Normal("centre", 0.0, 5.0)
            mu = pm.Deterministic("mu", centre - effects.mean())
            theta = pm.Deterministic("theta", mu + effects, dims="school")
        pm.Normal(
            "y", theta, data["stderr"].to_numpy(float), observed=data["effect"].to_numpy(float)
        )
        idata = pm.sample(
            draws=DRAWS,
            tune=TUNE,
            chains=CHAINS,
            cores=2,
            target_accept=0.99,
            random_seed=SEED,
            progressbar=False,
            compute_convergence_checks=False,
        )
    post = idata["posterior"]
    theta_q = post["theta"].quantile([0.05, 0.5, 0.95], dim=("chain", "draw"))
    summary = azs.summary(idata, var_names=["mu", "tau", "theta"], kind="diagnostics")
    return {
        "divergences": int(idata["sample_stats"]["diverging"].sum()),
        "max_r_hat": float(summary["r_hat"].max()),
        "min_ess_bulk": float(summary["ess_bulk"].min()),
        "mu": {"mean": float(post["mu"].mean()), "sd": float(post["mu"].std())},
        "tau": {"mean": float(post["tau"].mean()), "sd": float(post["tau"].std())},
        "theta_quantiles": {
            school: {
                str(q): float(theta_q.sel(quantile=q, school=school)) for q in (0.05, 0.5, 0.95)
            }
            for school in schools
        },
    }


def main() -> None:
    data = pd.read_csv(HERE.parent.parent / "datasets" / "eight_schools.csv")
    out = {
        "software": f"PyMC {pm.__version__} pm.sample (NUTS run by nutpie), target_accept=0.99",
        "chains": CHAINS,
        "draws": DRAWS,
        "tune": TUNE,
        "seed": SEED,
        "prior_on_mu": {
            "model": "effect_j ~ Normal(theta_j, stderr_j); theta_j = mu + tau * eta_j; "
            "mu ~ Normal(0, 5); tau ~ HalfCauchy(5); eta_j ~ Normal(0, 1)",
            **_fit(data, "mu"),
        },
        "prior_on_mean_theta": {
            "model": "the same with Normal(0, 5) on mean_j(theta_j) = mu + tau * mean(eta) "
            "instead of on mu: the coefficient hiermodels samples (its shear) takes the prior",
            **_fit(data, "mean_theta"),
        },
    }
    (HERE / "eight_schools_reference.json").write_text(json.dumps(out, indent=2) + "\n")
    json.dump(out, sys.stdout, indent=2)


if __name__ == "__main__":
    main()
