"""Data sets shipped with hiermodels, loaded with correct dtypes.

Real, published data sets, plus one simulated set with a known truth
(``pupils_multiple_membership``, made by ``datasets/simulate_pupils.py`` with a fixed
seed).

Group labels (subjects, schools, herds, ...) are loaded as strings, never as numbers.
Nothing is downloaded: the CSVs live in the project's ``datasets/`` folder, with their
provenance in ``datasets/PROVENANCE.md``.

Examples
--------
>>> import hiermodels as hm
>>> sleep = hm.datasets.load("sleepstudy")
>>> sleep.shape, str(sleep["Subject"].dtype)
((180, 3), 'category')
>>> "radon" in hm.datasets.list()
True
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from hiermodels.errors import DataError

__all__ = ["data_dir", "describe", "list", "load"]


@dataclass(frozen=True)
class _Dataset:
    file: str
    groups: tuple[str, ...]
    description: str
    source: str
    citation: str


_DATASETS: dict[str, _Dataset] = {
    "radon": _Dataset(
        "radon.csv",
        ("county",),
        "919 homes in 85 Minnesota counties: log_radon, floor (0 = basement), and the "
        "county-level predictor log_uranium.",
        "rstanarm `radon` (GPL-3)",
        "Gelman, A. & Hill, J. (2007). Data Analysis Using Regression and "
        "Multilevel/Hierarchical Models. Cambridge University Press.",
    ),
    "Oxboys": _Dataset(
        "Oxboys.csv",
        ("Subject", "Occasion"),
        "26 boys measured on 9 occasions: height (cm) against standardised age.",
        "nlme `Oxboys` (GPL-2+)",
        "Goldstein, H. (1987). Multilevel Models in Educational and Social Research. Griffin.",
    ),
    "sleepstudy": _Dataset(
        "sleepstudy.csv",
        ("Subject",),
        "18 subjects x 10 days of sleep deprivation: mean reaction time (ms).",
        "lme4 `sleepstudy` (GPL-2+)",
        "Belenky, G. et al. (2003). Patterns of performance degradation and restoration "
        "during sleep restriction and subsequent recovery. J. Sleep Research 12, 1-12.",
    ),
    "alcohol1_pp": _Dataset(
        "alcohol1_pp.csv",
        ("id",),
        "82 adolescents x 3 annual waves: alcuse, age_14 (years since 14), coa (child of "
        "an alcoholic parent), peer alcohol use.",
        "regdatasets `alcohol1_pp` (MIT)",
        "Curran, P. J., Stice, E. & Chassin, L. (1997). J. Consulting and Clinical "
        "Psychology 65, 130-140; Singer, J. D. & Willett, J. B. (2003). Applied "
        "Longitudinal Data Analysis, ch. 4. Oxford University Press.",
    ),
    "Hsb82": _Dataset(
        "Hsb82.csv",
        ("school",),
        "7,185 students in 160 schools (High School and Beyond): mAch, ses, cses "
        "(school-centred ses), meanses (school mean ses), sector, minrty, sx.",
        "mlmRev `Hsb82` (GPL-2+)",
        "Raudenbush, S. W. & Bryk, A. S. (2002). Hierarchical Linear Models, 2nd ed. Sage.",
    ),
    "ScotsSec": _Dataset(
        "ScotsSec.csv",
        ("primary", "second"),
        "3,435 Scottish students by primary school (148) and secondary school (19), "
        "cross-classified: attain (test score at 16), verbal (verbal reasoning on entry "
        "to secondary school), sex (M, F) and social (social class coded 0, 1, 20, 31; "
        "use C(social) for a factor).",
        "mlmRev `ScotsSec` (GPL-2+), from the MLwiN sample data",
        "Paterson, L. (1991). Socio economic status and educational attainment: a "
        "multidimensional and multilevel study. Evaluation and Research in Education 5, "
        "97-121.",
    ),
    "Penicillin": _Dataset(
        "Penicillin.csv",
        ("plate", "sample"),
        "Penicillin assay: diameter of the zone of inhibition, 24 plates x 6 samples, "
        "fully crossed.",
        "lme4 `Penicillin` (GPL-2+)",
        "Davies, O. L. & Goldsmith, P. L. (1972). Statistical Methods in Research and "
        "Production, 4th ed. Oliver and Boyd.",
    ),
    "Pastes": _Dataset(
        "Pastes.csv",
        ("batch", "cask", "sample"),
        "Paste strength: 10 batches, 3 casks per batch (nested), 2 assays per cask.",
        "lme4 `Pastes` (GPL-2+)",
        "Davies, O. L. & Goldsmith, P. L. (1972). Statistical Methods in Research and "
        "Production, 4th ed. Oliver and Boyd.",
    ),
    "InstEval": _Dataset(
        "InstEval.csv",
        ("s", "d", "studage", "lectage", "service", "dept"),
        "73,421 lecture ratings y (1-5): 2,972 students s x 1,128 lecturers d (crossed), "
        "14 departments.",
        "lme4 `InstEval` (GPL-2+)",
        "ETH Zurich course evaluations; Bates, D., Maechler, M., Bolker, B. & Walker, S. "
        "(2015). Fitting linear mixed-effects models using lme4. J. Statistical Software 67.",
    ),
    "cbpp": _Dataset(
        "cbpp.csv",
        ("herd", "period"),
        "Contagious bovine pleuropneumonia: incidence out of size animals, 15 herds x 4 periods.",
        "lme4 `cbpp` (GPL-2+)",
        "Lesnoff, M. et al. (2004). Within-herd spread of contagious bovine "
        "pleuropneumonia in Ethiopian highlands. Am. J. Veterinary Research 65, 1-8.",
    ),
    "tumors": _Dataset(
        "tumors.csv",
        ("experiment",),
        "71 rat experiments: y rats with tumours out of K. The column experiment (1..71) "
        "is added on loading.",
        "rstanarm `tumors` (GPL-3)",
        "Tarone, R. E. (1982). The use of historical control information in testing for a "
        "trend in proportions. Biometrics 38; Gelman, A. et al., Bayesian Data Analysis, "
        "ch. 5.",
    ),
    "bball1970": _Dataset(
        "bball1970.csv",
        ("Player",),
        "18 baseball players: Hits out of AB early in 1970, and the rest of the season "
        "(RemainingHits out of RemainingAB) held out.",
        "rstanarm `bball1970` (GPL-3)",
        "Efron, B. & Morris, C. (1975). Data analysis using Stein's estimator and its "
        "generalizations. JASA 70, 311-319.",
    ),
    "gcse": _Dataset(
        "gcse.csv",
        ("school", "student", "gender"),
        "4,059 London students in 65 schools: gcse exam score and lrt reading test score.",
        "regdatasets `gcse` (MIT)",
        "Goldstein, H. et al. (1993). A multilevel analysis of school examination results. "
        "Oxford Review of Education 19, 425-433.",
    ),
    "oats": _Dataset(
        "oats.csv",
        ("Block", "Variety"),
        "Split-plot field trial: yield (bushels/acre) of 3 oat varieties (whole plots) at 4 "
        "nitrogen rates (nitro, cwt/acre; subplots) in 6 blocks.",
        "nlme `Oats` (GPL-2+)",
        "Yates, F. (1935). Complex experiments. Supplement to the J. Royal Statistical "
        "Society 2, 181-247.",
    ),
    "pupils_multiple_membership": _Dataset(
        "pupils_multiple_membership.csv",
        ("pupil", "school1", "school2", "school3"),
        "Simulated: 1,500 pupils who attended 1-3 of 80 schools, with score, prior "
        "(standardised prior attainment), n_schools, the schools school1-school3 in the "
        "order attended and their time-share weights w1-w3 (summing to 1). Pupils with "
        "fewer than three schools repeat school1 in the unused slots with weight 0, as "
        "mm() expects. Truth: score = 50 + 6 * prior + sum_k w_k * u[school_k] + e, "
        "u ~ Normal(0, 4), e ~ Normal(0, 8); the drawn school effects are in "
        "pupils_multiple_membership_schools.",
        "simulated by datasets/simulate_pupils.py (seed 20240611)",
        "Simulated for hiermodels; the multiple-membership model is that of Browne, W. J., "
        "Goldstein, H. & Rasbash, J. (2001). Multiple membership multiple classification "
        "(MMMC) models. Statistical Modelling 1, 103-124.",
    ),
    "pupils_multiple_membership_schools": _Dataset(
        "pupils_multiple_membership_schools.csv",
        ("school",),
        "The true effects of the 80 schools of pupils_multiple_membership: school, effect "
        "(drawn from Normal(0, 4); their SD is 3.48), pupils (pupils with a positive "
        "weight) and pupil_equivalents (the sum of those weights).",
        "simulated by datasets/simulate_pupils.py (seed 20240611)",
        "Simulated for hiermodels.",
    ),
    "wine": _Dataset(
        "wine.csv",
        ("bottle", "judge"),
        "Bitterness of white wine: 72 ratings (rating, 1 = least to 5 = most bitter, "
        "loaded as an ordered Categorical; response, the bitterness on a 0-100 scale) "
        "by 9 judges of 8 bottles, made at a cold or warm temperature (temp) with or "
        "without skin contact (contact).",
        "ordinal `wine` (GPL-2+)",
        "Randall, J. H. (1989). The analysis of sensory data by generalized linear model. "
        "Biometrical Journal 31, 781-793; Christensen, R. H. B. (2019). ordinal: "
        "regression models for ordinal data, R package.",
    ),
    "Salamanders": _Dataset(
        "Salamanders.csv",
        ("site", "spp"),
        "644 counts of stream salamanders: 23 sites (sampled 4 times) x 7 species or life "
        "stages; mined (mountaintop removal coal mining upstream), scaled cover, DOP, "
        "Wtemp, DOY. Many zeros: the zero-inflated example of glmmTMB.",
        "glmmTMB `Salamanders` (AGPL-3; the data are Dryad doi:10.5061/dryad.5m8f6, CC0)",
        "Price, S. J., Muncy, B. L., Bonner, S. J., Drayer, A. N. & Barton, C. D. (2016). "
        "Effects of mountaintop removal mining and valley filling on the occupancy and "
        "abundance of stream salamanders. J. Applied Ecology 53, 459-468.",
    ),
    "mcycle": _Dataset(
        "mcycle.csv",
        (),
        "133 measurements of head acceleration (accel, g) against time after a simulated "
        "motorcycle impact (times, ms): a strongly non-linear curve, the classic example "
        "of a smooth.",
        "MASS `mcycle` (GPL-2|GPL-3)",
        "Silverman, B. W. (1985). Some aspects of the spline smoothing approach to "
        "non-parametric curve fitting. J. Royal Statistical Society B 47, 1-52.",
    ),
    "eight_schools": _Dataset(
        "eight_schools.csv",
        ("school",),
        "Estimated coaching effects in 8 schools with known standard errors.",
        "typed in from the publication",
        "Rubin, D. B. (1981). Estimation in parallel randomized experiments. J. "
        "Educational Statistics 6, 377-401.",
    ),
}


def data_dir() -> Path:
    """The folder holding the CSVs (inside the installed package, or the source tree)."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_datasets", here.parent / "datasets"):
        if (candidate / "PROVENANCE.md").exists():
            return candidate
    raise DataError(f"The shipped data sets are missing; looked in {here / '_datasets'}.")


def list() -> builtins.list[str]:  # noqa: A001 - the documented name
    """Names of the shipped data sets."""
    return sorted(_DATASETS, key=str.lower)


def _entry(name: str) -> _Dataset:
    if name not in _DATASETS:
        raise DataError(f"Unknown data set {name!r}; available data sets are {list()}.")
    return _DATASETS[name]


def describe(name: str) -> str:
    """Description, source package and citation of a data set."""
    entry = _entry(name)
    return f"{name}: {entry.description}\nSource: {entry.source}\nCitation: {entry.citation}"


def load(name: str) -> pd.DataFrame:
    """Load a shipped data set as a DataFrame; group labels are categories of strings.

    Parameters
    ----------
    name
        One of :func:`list`.

    Examples
    --------
    >>> import hiermodels as hm
    >>> pupils = hm.datasets.load("pupils_multiple_membership")
    >>> pupils.shape, str(pupils["school1"].dtype)
    ((1500, 10), 'category')
    >>> bool(pupils[["w1", "w2", "w3"]].sum(axis=1).round(9).eq(1).all())
    True
    """
    entry = _entry(name)
    frame = pd.read_csv(data_dir() / entry.file, dtype={g: str for g in entry.groups})
    if name == "tumors":
        frame.insert(0, "experiment", [str(i) for i in range(1, len(frame) + 1)])
    if name == "wine":
        frame["rating"] = pd.Categorical(frame["rating"], categories=[1, 2, 3, 4, 5], ordered=True)
    for col in entry.groups:
        if col in frame.columns:
            values = frame[col].astype(str)
            levels = sorted(values.unique(), key=_natural)
            frame[col] = pd.Categorical(values, categories=levels)
    return frame


def _natural(label: str):
    return (0, int(label), "") if label.lstrip("-").isdigit() else (1, 0, label)
