"""Bit-identity check of posterior draws across two commits (issue #14, acceptance 4).

Fits four models with fixed seeds and saves every posterior array to one ``.npz``:

- ``sleepstudy``: ``Reaction ~ 1 + Days + (1 + Days | Subject)`` (the lme4 reference);
- ``radon``: the pooling study's partial-pooling model ``log_radon ~ floor + (1 | county)``;
- ``cbpp``: cbpp as one 0/1 row per animal, ``sick ~ 1 + period + (1 | herd)``, bernoulli;
- ``mm``: ``score ~ 1 + prior + (1 | mm(school1, school2, school3, weights=[w1, w2, w3]))``.

It uses only the public API that both commits share, so the same file runs against an
old tree::

    git worktree add /tmp/old 1061494
    PYTHONPATH=/tmp/old python benchmarks/bit_identity.py save /tmp/old.npz
    PYTHONPATH=.        python benchmarks/bit_identity.py save /tmp/new.npz
    python benchmarks/bit_identity.py compare /tmp/old.npz /tmp/new.npz

``--parameterization centered|non_centered`` forces the parameterisation of every
factor (instead of ``"auto"``), to tell a changed choice from a changed graph.
``compare`` prints, per model, whether every array is equal bit for bit, and otherwise
the largest |difference of posterior means| in posterior SDs (old SD).
A reproducible tool, not a CI test: it compiles four models and samples 4 x 1000 draws.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
import pandas as pd

SEED = 20261201


def cbpp_animals(hm) -> pd.DataFrame:
    cbpp = hm.datasets.load("cbpp")
    sick = np.concatenate([[1] * k + [0] * (n - k) for k, n in zip(cbpp.incidence, cbpp["size"])])
    rep = np.repeat(np.arange(len(cbpp)), cbpp["size"])
    return pd.DataFrame(
        {
            "sick": sick,
            "herd": pd.Categorical(cbpp.herd.to_numpy()[rep]),
            "period": pd.Categorical(cbpp.period.to_numpy()[rep]),
        }
    )


def models(hm):
    radon = hm.datasets.load("radon")
    radon["county"] = pd.Categorical(radon["county"])  # as the pooling study reads it
    return {
        "sleepstudy": (
            "Reaction ~ 1 + Days + (1 + Days | Subject)",
            hm.datasets.load("sleepstudy"),
            "gaussian",
        ),
        "radon": ("log_radon ~ floor + (1 | county)", radon, "gaussian"),
        "cbpp": ("sick ~ 1 + period + (1 | herd)", cbpp_animals(hm), "bernoulli"),
        "mm": (
            "score ~ 1 + prior + (1 | mm(school1, school2, school3, weights=[w1, w2, w3]))",
            hm.datasets.load("pupils_multiple_membership"),
            "gaussian",
        ),
    }


def save(path: str, parameterization: str, only: list[str] | None) -> None:
    import hiermodels as hm

    print("hiermodels from", hm.__file__, file=sys.stderr)
    arrays = {}
    for name, (formula, data, family) in models(hm).items():
        if only and name not in only:
            continue
        model = hm.Model(formula, data, family=family, parameterization=parameterization)
        fit = model.fit(draws=1000, tune=1000, chains=4, random_seed=SEED, progressbar=False)
        arrays[f"{name}/parameterization"] = np.array(str(model.parameterization))
        post = fit.idata["posterior"]
        for var in post.data_vars:
            arrays[f"{name}/{var}"] = post[var].to_numpy()
        print(name, model.parameterization, file=sys.stderr)
    np.savez(path, **arrays)


def compare(old_path: str, new_path: str) -> bool:
    old, new = np.load(old_path), np.load(new_path)
    names = sorted({k.split("/")[0] for k in old.files})
    same_everywhere = True
    for name in names:
        keys = [k for k in old.files if k.startswith(name + "/") and "parameterization" not in k]
        missing = [k for k in keys if k not in new.files]
        extra = [k for k in new.files if k.startswith(name + "/") and k not in old.files]
        equal = not missing and not extra and all(np.array_equal(old[k], new[k]) for k in keys)
        same_everywhere &= equal
        line = f"{name:<11} bit-identical: {equal}"
        p_old, p_new = old[f"{name}/parameterization"], new[f"{name}/parameterization"]
        line += f"  parameterisation old {p_old} new {p_new}"
        if missing or extra:
            line += f"  missing {missing} extra {extra}"
        if not equal:
            worst, where = 0.0, ""
            for k in keys:
                if k not in new.files:
                    continue
                a, b = old[k], new[k]
                m_a = a.mean(axis=(0, 1))
                m_b = b.mean(axis=(0, 1))
                sd = a.std(axis=(0, 1))
                z = np.abs(m_a - m_b) / np.where(sd > 0, sd, np.inf)
                if np.max(z) > worst:
                    worst, where = float(np.max(z)), k
            line += f"  max |mean diff| = {worst:.3f} posterior SD ({where})"
        print(line)
    return same_everywhere


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_save = sub.add_parser("save")
    p_save.add_argument("path")
    p_save.add_argument("--parameterization", default="auto")
    p_save.add_argument("--only", nargs="*")
    p_cmp = sub.add_parser("compare")
    p_cmp.add_argument("old")
    p_cmp.add_argument("new")
    args = parser.parse_args()
    if args.command == "save":
        save(args.path, args.parameterization, args.only)
    else:
        sys.exit(0 if compare(args.old, args.new) else 1)


if __name__ == "__main__":
    main()
