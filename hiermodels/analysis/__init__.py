"""Analysis layer: functions that take a fitted model and return numbers.

LOO (:mod:`~hiermodels.analysis.loo`), held-out log-likelihood
(:mod:`~hiermodels.analysis.heldout`), exact k-fold cross-validation
(:mod:`~hiermodels.analysis.kfold`), the variance partition (ICC, R²,
:mod:`~hiermodels.analysis.partition`) and the interpretation of a fit over its draws
(predictions, marginal means, comparisons, slopes: :mod:`~hiermodels.analysis.interpret`).
They read a fit through the attributes named in :mod:`hiermodels.protocols` and never
import ``Fit`` or ``Model``;
:class:`hiermodels.Fit` is the facade that calls them.
"""
