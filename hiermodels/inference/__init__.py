"""Inference layer: sampling a model's posterior (:mod:`~hiermodels.inference.sample`)."""
