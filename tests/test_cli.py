"""The ``hiermodels`` command: clear errors with exit code 2, and reports with images."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from comparison_fits import prior_fit

import hiermodels as hm
from hiermodels.report_pages import fit_sections


def run(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "hiermodels", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=900,
    )


@pytest.fixture(scope="module")
def sleep_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "sleep.csv"
    hm.datasets.load("sleepstudy").to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("fit", "missing.csv", "y ~ x"), "no such file: 'missing.csv'"),
        (("fit", "{csv}", "Reaction ~ Dayz + (1 | Subject)"), "Unknown column 'Dayz'"),
        (("fit", "{csv}", "Reaction ~ Days + (1 | Subject"), "Unclosed parenthesis"),
        (("fit", "{csv}", "Reaction ~ Days", "--family", "gama"), "Unknown family 'gama'"),
        (("compare-pooling", "{csv}", "--response", "Reaction", "--group", "Subjct"), "Subjct"),
    ],
)
def test_bad_input_exits_2_without_traceback(args, message, sleep_csv):
    result = run(*(a.format(csv=sleep_csv) for a in args))
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_version():
    result = run("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"hiermodels {hm.__version__}"


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (("--draws", "-5"), "argument --draws: must be an integer >= 1, got -5"),
        (("--chains", "0"), "argument --chains: must be an integer >= 1, got 0"),
        (("--tune", "-1"), "argument --tune: must be an integer >= 0, got -1"),
        (("--draws", "many"), "argument --draws: 'many' is not an integer"),
    ],
)
def test_refused_sampling_options_leave_no_output_folder(option, message, sleep_csv, tmp_path):
    out = tmp_path / "report"
    result = run("fit", str(sleep_csv), "Reaction ~ Days", *option, "--out", str(out))
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_refused_formula_leaves_no_output_folder(sleep_csv, tmp_path):
    out = tmp_path / "new" / "report"
    result = run("fit", str(sleep_csv), "Reaction ~ Dayz", "--out", str(out))
    assert result.returncode == 2
    assert "Unknown column 'Dayz'" in result.stderr
    assert not (tmp_path / "new").exists()


def test_output_folder_that_cannot_be_created(sleep_csv, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    out = blocker / "report"
    result = run("fit", str(sleep_csv), "Reaction ~ Days", "--out", str(out))
    assert result.returncode == 2, result.stderr
    assert result.stderr == f"hiermodels: cannot create the output folder {str(out)!r}: " + (
        "Not a directory\n"
    )


@pytest.fixture(scope="module")
def gappy_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "gappy.csv"
    sleep = hm.datasets.load("sleepstudy")
    sleep.loc[3, "Days"] = None
    sleep.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    "args",
    [
        ("fit", "{csv}", "Reaction ~ Days + (1 | Subject)"),
        ("compare-pooling", "{csv}", "--response", "Reaction", "--group", "Subject",
         "--predictors", "Days"),
    ],
)  # fmt: skip
def test_missing_values_message_names_the_cli_option(args, gappy_csv, tmp_path):
    out = tmp_path / "report"
    result = run(*(a.format(csv=gappy_csv) for a in args), "--out", str(out))
    assert result.returncode == 2
    assert "Missing values in columns used by the model ('Days': 1)" in result.stderr
    assert "pass --missing drop to drop those rows" in result.stderr
    assert "missing='drop'" not in result.stderr
    assert not out.exists()


def test_missing_option_choices(sleep_csv):
    result = run("fit", str(sleep_csv), "Reaction ~ Days", "--missing", "impute")
    assert result.returncode == 2
    assert "argument --missing: invalid choice: 'impute'" in result.stderr


@pytest.mark.slow
def test_missing_drop_and_one_chain_write_a_report(gappy_csv, tmp_path):
    out = tmp_path / "out"
    result = run(
        "fit", str(gappy_csv), "Reaction ~ Days + (1 | Subject)", "--missing", "drop",
        "--draws", "60", "--tune", "60", "--chains", "1", "--out", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "hiermodels: MissingDataWarning: Dropped 1 of 180 rows" in result.stderr
    assert "on 179 rows" in result.stdout
    page = (out / "report.html").read_text()
    assert "Number of obs: 179" in page
    assert "R-hat needs two or more chains" in page
    assert "Rank plots compare chains; this fit has one chain." in page
    assert "All diagnostics look fine" not in page
    assert hm.load(out / "fit.zip").design.n_obs == 179


def test_usage_error_exits_2():
    result = run("fit")
    assert result.returncode == 2
    assert "usage: hiermodels fit" in result.stderr


def test_report_has_a_caterpillar_for_every_varying_term():
    model = hm.Model("Reaction ~ Days + (Days | Subject)", hm.datasets.load("sleepstudy"))
    page = "\n".join(fit_sections(prior_fit(model)))
    section = page[page.index("<h2>Group effects: Subject</h2>") :]
    alts = re.findall(r'<img alt="([^"]+)"', section)
    assert alts == ["Subject effects: Intercept", "Subject effects: Days"]
    assert "hm-tau" not in page  # the shrinkage explorer moves varying intercepts only


@pytest.mark.slow
def test_fit_writes_saved_fit_and_report_with_images(sleep_csv, tmp_path):
    out = tmp_path / "out"
    result = run(
        "fit",
        str(sleep_csv),
        "Reaction ~ Days + (Days | Subject)",
        "--draws",
        "200",
        "--tune",
        "200",
        "--chains",
        "2",
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    page = (out / "report.html").read_text()
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) >= 4  # trace, rank, PPC, caterpillar
    assert all(len(i) > 5000 for i in images)
    assert "Random effects:" in page and "Fixed effects:" in page
    loaded = hm.load(out / "fit.zip")
    assert loaded.formula == "Reaction ~ Days + (Days | Subject)"


def test_pytensors_blas_notice_is_not_printed(monkeypatch, capsys):
    """PyTensor warns once that its C backend found no BLAS; the CLI (which samples with
    numba) does not pass that on, while its own warnings still print."""
    import warnings

    from hiermodels import cli

    def runner(args):
        blas = "PyTensor could not link to a BLAS installed on your system."
        warnings.warn(blas, UserWarning, stacklevel=2)
        warnings.warn("Dropped 1 of 3 rows", hm.errors.MissingDataWarning, stacklevel=2)

    monkeypatch.setattr(cli, "_run_demo", runner)
    with warnings.catch_warnings():
        warnings.simplefilter("default")  # as outside pytest, where warnings are not errors
        assert cli.main(["demo"]) == 0
    err = capsys.readouterr().err
    assert "BLAS" not in err and "hiermodels: MissingDataWarning: Dropped 1 of 3 rows" in err


def test_fit_report_has_the_shrinkage_explorer_for_a_varying_intercept():
    """Issue #19: the fit report carries the same self-contained slider as the pooling
    report, for a gaussian varying intercept (none for a varying slope: see the test
    above)."""
    sleep = hm.datasets.load("sleepstudy")
    page = "\n".join(fit_sections(prior_fit(hm.Model("Reaction ~ Days + (1 | Subject)", sleep))))
    section = page[page.index("<h2>Group effects: Subject</h2>") :]
    assert section.count('class="hm-tau"') == 1 and section.count('class="hm-sigma"') == 1
    assert '"levels": ["308", "309"' in section  # the data of the 18 subjects, in the page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
