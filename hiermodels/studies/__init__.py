"""Study layer: workflows built from the layers below (the pooling comparison).

Studies read fits through :mod:`hiermodels.protocols` and are handed the
constructors they need, so they import neither ``Fit`` nor ``Model``.
"""
