"""Backends that turn a :class:`~hiermodels.design.Design` into a probabilistic program."""
