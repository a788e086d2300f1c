"""fit.save / hm.load: lossless round trip, exact predictions in a fresh process, errors."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import hiermodels as hm
from hiermodels import persistence
from hiermodels.errors import DataError
from hiermodels.loading import load
from hiermodels.results import Fit

FORMULA = (
    "y ~ x + cat + (1 + x | g) + (1 | a:b) + (1 | mm(s1, s2, s3, weights=[w1, w2, w3], scale=True))"
)
PRIORS = {
    "sigma": hm.Prior("Exponential", lam=2.0),
    "cor": 3.0,
    "x": hm.Prior("Normal", mu=0.5, sigma=0.25),
}


def synth(n: int = 60, seed: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    schools = [f"s{i}" for i in range(5)]
    members = np.array([rng.choice(schools, 3, replace=False) for _ in range(n)])
    frame = pd.DataFrame(
        {
            "y": rng.normal(size=n),
            "x": rng.normal(size=n),
            "cat": pd.Categorical(rng.choice(["lo", "mid", "hi"], n), ["lo", "mid", "hi"]),
            "g": rng.choice([f"g{i}" for i in range(6)], n),
            "a": pd.Series(rng.choice(["A", "B", "C"], n), dtype=object),
            "b": rng.integers(1, 3, n),
            **{f"s{k + 1}": members[:, k] for k in range(3)},
            **{f"w{k + 1}": rng.uniform(0.5, 2.0, n) for k in range(3)},
            "unused": 1.0,
        }
    )
    frame.index = [f"row{i}" for i in range(n)]
    return frame


def prior_fit(model: hm.Model, draws: int = 200) -> Fit:
    prior = model.sample_prior_predictive(draws, random_seed=2)
    name = model.design.response_name
    observed = xr.Dataset(
        {name: ("obs", model.design.y)}, coords={"obs": np.arange(len(model.design.y))}
    )
    tree = xr.DataTree.from_dict(
        {"posterior": prior["prior"].to_dataset(), "observed_data": observed}
    )
    tree.attrs["sampler"] = "prior draws"
    return Fit(model=model, idata=tree)


@pytest.fixture(scope="module")
def synth_fit() -> Fit:
    model = hm.Model(FORMULA, synth(), priors=PRIORS, parameterization={"g": "centered"})
    return prior_fit(model)


def new_rows() -> pd.DataFrame:
    new = synth(8, seed=9)
    new.loc[new.index[0], "g"] = "new g"
    new.loc[new.index[1], "s2"] = "new school"
    new.loc[new.index[2], "a"] = np.nan
    return new


# --------------------------------------------------------------------- fast
def test_round_trip_keeps_every_group_value_and_name(synth_fit, tmp_path):
    path = synth_fit.save(tmp_path / "synth.hmfit")
    loaded = load(path)
    assert list(loaded.idata.children) == list(synth_fit.idata.children)
    assert loaded.idata.attrs == synth_fit.idata.attrs
    for group in synth_fit.idata.children:
        xr.testing.assert_identical(
            loaded.idata[group].to_dataset(), synth_fit.idata[group].to_dataset()
        )
    post = loaded.posterior
    assert "r_a:b" in post and "r_mm(s1+s2+s3)" in post and "cor_g" in post
    assert list(post["a:b"].values) == list(synth_fit.design.group("a:b").levels)


def test_round_trip_rebuilds_the_same_model(synth_fit, tmp_path):
    loaded = load(synth_fit.save(tmp_path / "synth.hmfit"))
    model, original = loaded.model, synth_fit.model
    assert model.formula == original.formula and model.family == original.family
    assert model.link == original.link
    assert model.priors == original.priors
    assert model.prior_sources == original.prior_sources
    assert model.centered == original.centered
    assert original.centered["g"] is True  # named in the parameterization dict
    assert set(original.centered) == {"g", "a:b", "mm(s1, s2, s3)"}
    pd.testing.assert_frame_equal(model.data, original.data)
    assert "unused" not in model.data.columns
    np.testing.assert_array_equal(model.design.fixed.matrix, original.design.fixed.matrix)


def test_loaded_fit_predicts_identically(synth_fit, tmp_path):
    loaded = load(synth_fit.save(tmp_path / "synth.hmfit"))
    for kwargs in [{}, {"kind": "response"}, {"new_groups": "population"}]:
        a = synth_fit.predict(new_rows(), random_seed=3, **kwargs)["predictions"]["y"].values
        b = loaded.predict(new_rows(), random_seed=3, **kwargs)["predictions"]["y"].values
        np.testing.assert_array_equal(a, b)


def test_data_frame_encoding_keeps_dtypes_and_index():
    frame = pd.DataFrame(
        {
            "f": [0.1, 1 / 3, np.pi],
            "i": np.array([1, 2, 3], dtype=np.int32),
            "flag": [True, False, True],
            "s": pd.array(["a", "b", "c"], dtype="str"),
            "o": np.array(["x", "y", "x"], dtype=object),
            "n": np.array([1, 2, 1], dtype=object),
            "c": pd.Categorical([10, 20, 10], categories=[20, 10], ordered=True),
            "e": pd.array([1, 2, 3], dtype="Int64"),
        },
        index=pd.MultiIndex.from_tuples([("p", 1), ("q", 2), ("r", 3)], names=["who", "k"]),
    )
    frame["o"] = frame["o"].astype(object)
    ds, meta = persistence._encode_frame(frame)
    back = persistence._decode_frame(ds, json.loads(json.dumps(meta)))
    pd.testing.assert_frame_equal(back, frame)
    assert back["n"].tolist() == [1, 2, 1] and back["o"].dtype == object
    assert str(back["s"].dtype) == str(frame["s"].dtype) and back["s"].tolist() == ["a", "b", "c"]


def test_incompatible_format_version_is_a_clear_error(synth_fit, tmp_path, monkeypatch):
    monkeypatch.setattr(persistence, "FORMAT_VERSION", 99)
    path = synth_fit.save(tmp_path / "future.hmfit")
    monkeypatch.undo()
    with pytest.raises(DataError, match=r"format version 99.*reads format version 1 only"):
        load(path)


def test_not_a_fit_file_and_overwrite(synth_fit, tmp_path):
    junk = tmp_path / "junk.hmfit"
    junk.write_text("hello")
    with pytest.raises(DataError, match="not a fit saved by hiermodels"):
        load(junk)
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as archive:
        archive.writestr("zarr.json", '{"zarr_format": 3, "node_type": "group", "attributes": {}}')
    with pytest.raises(DataError, match="not a fit saved by hiermodels"):
        load(tmp_path / "other.zip")
    with pytest.raises(DataError, match="No fit file"):
        load(tmp_path / "missing.hmfit")
    with pytest.raises(DataError, match="exists; pass overwrite=True"):
        synth_fit.save(junk)
    synth_fit.save(junk, overwrite=True)
    assert load(junk).formula == synth_fit.formula
    with pytest.raises(DataError, match="is a directory"):
        synth_fit.save(tmp_path)


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_saved_file_honours_the_umask(synth_fit, tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        path = synth_fit.save(tmp_path / "fit.hmfit")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == mode
    assert [p.name for p in tmp_path.iterdir()] == ["fit.hmfit"]  # no temporary left


def test_overwritten_file_keeps_its_mode(synth_fit, tmp_path):
    path = synth_fit.save(tmp_path / "fit.hmfit")
    path.chmod(0o640)
    synth_fit.save(path, overwrite=True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert load(path).formula == synth_fit.formula


# --------------------------------------------------------------------- slow
SCRIPT = textwrap.dedent(
    """
    import sys
    import numpy as np
    import pandas as pd
    from hiermodels.loading import load

    folder = sys.argv[1]
    for name, new in [("pastes", pd.read_pickle(folder + "/pastes_new.pkl")),
                      ("synth", pd.read_pickle(folder + "/synth_new.pkl"))]:
        fit = load(folder + f"/{name}.hmfit")
        for kind in ("mean", "response"):
            pred = fit.predict(new, kind=kind, random_seed=123)
            np.save(folder + f"/{name}_{kind}_loaded.npy", pred["predictions"].to_dataset()
                    [fit.design.response_name].values)
    """
)


@pytest.mark.slow
def test_loaded_fit_predicts_identically_in_a_fresh_process(reference_fits, synth_fit, tmp_path):
    pastes = reference_fits["pastes"]
    pastes_new = pd.DataFrame({"batch": ["A", "A", "Z", None], "cask": ["a", "z", "a", "b"]})
    fits = {"pastes": (pastes, pastes_new), "synth": (synth_fit, new_rows())}
    for name, (fit, new) in fits.items():
        fit.save(tmp_path / f"{name}.hmfit")
        new.to_pickle(tmp_path / f"{name}_new.pkl")
    script = tmp_path / "reload.py"
    script.write_text(SCRIPT)
    subprocess.run([sys.executable, str(script), str(tmp_path)], check=True, timeout=600)
    for name, (fit, new) in fits.items():
        for kind in ("mean", "response"):
            expected = fit.predict(new, kind=kind, random_seed=123)["predictions"]
            expected = expected[fit.design.response_name].values
            got = np.load(tmp_path / f"{name}_{kind}_loaded.npy")
            np.testing.assert_array_equal(got, expected)
    assert "r_batch:cask" in load(tmp_path / "pastes.hmfit").posterior
