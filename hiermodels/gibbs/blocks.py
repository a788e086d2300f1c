"""The sampler's data structures: one grouping factor, and the Gaussian block of the fixed
columns with the one-hot columns of the small factors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["Block", "Factor"]


@dataclass(frozen=True, eq=False)
class Factor:
    name: str
    codes: np.ndarray  # (N,)
    counts: np.ndarray  # (J,)
    log_prior: Callable
    indicator: object = None  # scipy.sparse (J, N): level-by-row incidence
    level_block: np.ndarray | None = None  # (J, P): sums of the block's columns per level
    columns: slice | None = None  # where a small factor's effects sit in the block

    @property
    def n_levels(self) -> int:
        return len(self.counts)

    def level_sums(self, values: np.ndarray) -> np.ndarray:
        """Sum ``values`` (N, chains) within levels: (chains, J)."""
        return (self.indicator @ values).T

    def per_row(self, effects: np.ndarray) -> np.ndarray:
        """The effects (chains, J) of each row's level: (N, chains)."""
        return np.take(np.ascontiguousarray(effects.T), self.codes, axis=0)


class Block:
    """The fixed columns and the one-hot columns of the small factors, side by side."""

    def __init__(self, F: np.ndarray, small: list[Factor]):
        import scipy.sparse as sp

        self.F = F
        self.small = small
        N = len(F)
        self.sparse = sp.hstack(
            [sp.csr_matrix(F)]
            + [
                sp.csr_matrix((np.ones(N), (np.arange(N), f.codes)), shape=(N, f.n_levels))
                for f in small
            ],
            format="csr",
        )

    def times(self, coef: np.ndarray) -> np.ndarray:
        """Block @ coef' for coefficients (chains, P): (N, chains)."""
        p = self.F.shape[1]
        out = self.F @ coef[:, :p].T if p else np.zeros((len(self.F), len(coef)))
        for f in self.small:
            out += f.per_row(coef[:, f.columns])
        return out

    def transpose_times(self, values: np.ndarray) -> np.ndarray:
        """(Block' values)' for values (N, chains): (chains, P)."""
        return np.concatenate(
            [values.T @ self.F] + [f.level_sums(values) for f in self.small], axis=1
        )
