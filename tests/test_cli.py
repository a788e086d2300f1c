"""The ``hiermodels`` command: clear errors with exit code 2, and reports with images."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from comparison_fits import prior_fit

import hiermodels as hm
from hiermodels import cli


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
        (("fit", "{csv}", "Reaction ~ Days", "--family", "gamma"), "Unknown family 'gamma'"),
        (("compare-pooling", "{csv}", "--response", "Reaction", "--group", "Subjct"), "Subjct"),
    ],
)
def test_bad_input_exits_2_without_traceback(args, message, sleep_csv):
    result = run(*(a.format(csv=sleep_csv) for a in args))
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_usage_error_exits_2():
    result = run("fit")
    assert result.returncode == 2
    assert "usage: hiermodels fit" in result.stderr


def test_report_has_a_caterpillar_for_every_varying_term():
    model = hm.Model("Reaction ~ Days + (Days | Subject)", hm.datasets.load("sleepstudy"))
    page = "\n".join(cli._fit_sections(prior_fit(model)))
    section = page[page.index("<h2>Group effects: Subject</h2>") :]
    alts = re.findall(r'<img alt="([^"]+)"', section)
    assert alts == ["Subject effects: Intercept", "Subject effects: Days"]


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
