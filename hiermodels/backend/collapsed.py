"""The collapsed Gaussian log-density as a PyTensor graph (see :mod:`hiermodels.collapsed`).

Each level's ``q x q`` algebra (``A_j = I + L' Z_j'Z_j L / sigma^2``, its Cholesky factor
and one triangular solve) is written out entry by entry over vectors of length ``J``: for
the small ``q`` of varying-effect terms this is a few dozen fused elementwise operations,
which compile and differentiate faster than batched linear-algebra ops.

Examples
--------
>>> import numpy as np
>>> import pytensor.tensor as pt
>>> ZtZ = np.array([[[2.0]], [[3.0]]])
>>> M, w = level_cholesky_solve(pt.as_tensor(np.eye(1)), ZtZ, pt.as_tensor([[1.0], [2.0]]).T,
...                             pt.as_tensor(1.0))
>>> [float(v.eval()[0]) for v in (M[0][0], w[0])]
[1.7320508075688772, 0.5773502691896258]
"""

from __future__ import annotations

import math

import numpy as np
import pytensor.tensor as pt

from hiermodels.collapsed import CollapsedStatistics

__all__ = ["collapsed_normal_logp", "covariance_factor", "level_cholesky_solve"]

#: Up to this many fixed columns the statistics enter as scalar products; beyond it as
#: dot products (fewer graph nodes).
_UNROLL_MAX = 8


def covariance_factor(blocks, q: int):
    """``L`` (q x q, lower triangular) with ``L L' = Sigma`` from the factor's blocks.

    ``blocks`` is what the backend's ``_scales`` returns: ``(terms, sd, chol, cor)`` per
    block, with ``chol`` ``None`` for uncorrelated terms.
    """
    L = pt.zeros((q, q))
    for block, sd, chol, _ in blocks:
        idx = np.array(block)
        if chol is None:
            L = pt.set_subtensor(L[idx, idx], sd)
        else:
            L = pt.set_subtensor(L[idx[:, None], idx[None, :]], chol)
    return L


def level_cholesky_solve(L, ZtZ: np.ndarray, c_raw, sigma2):
    """Per level: the Cholesky factor ``M`` of ``A_j`` and ``w = M^-1 L' c_raw``.

    ``ZtZ`` has shape (J, q, q); ``c_raw`` is a list (or (q, J) tensor) of ``Z'r`` per
    term. Returns ``M`` as nested lists of length-``J`` tensors (lower triangle) and
    ``w`` as a list of ``q`` length-``J`` tensors.
    """
    # ZtZ may be a data container (a refit model): then the terms are those of c_raw
    q = ZtZ.shape[1] if isinstance(ZtZ, np.ndarray) else len(c_raw)
    # T = ZtZ L (entries are J-vectors), then B = L' T.
    T = [[sum(ZtZ[:, a, b] * L[b, col] for b in range(q)) for col in range(q)] for a in range(q)]
    A = [[None] * q for _ in range(q)]
    for k in range(q):
        for col in range(k + 1):
            value = sum(L[a, k] * T[a][col] for a in range(q)) / sigma2
            A[k][col] = value + 1.0 if k == col else value
    c = [sum(L[a, k] * c_raw[a] for a in range(q)) for k in range(q)]
    M = [[None] * q for _ in range(q)]
    w = [None] * q
    for i in range(q):
        for j in range(i):
            acc = A[i][j] - sum(M[i][k] * M[j][k] for k in range(j)) if j else A[i][j]
            M[i][j] = acc / M[j][j]
        diag = A[i][i] - sum(M[i][k] ** 2 for k in range(i)) if i else A[i][i]
        M[i][i] = pt.sqrt(diag)
        acc = c[i] - sum(M[i][k] * w[k] for k in range(i)) if i else c[i]
        w[i] = acc / M[i][i]
    return M, w


def collapsed_normal_logp(
    stats: CollapsedStatistics,
    *,
    L,
    sigma,
    theta=None,
    residual=None,
    codes=None,
    Z=None,
    data=None,
    row_weights=None,
):
    """Log-density of the response with the collapsed factor's effects integrated out.

    Pass ``theta`` (coefficients on the centred fixed columns) when no other factor is
    sampled: the cost is then independent of the number of rows. Otherwise pass the
    row ``residual`` (response minus offset, fixed part and sampled factors) with the
    factor's ``codes`` (rows,) and ``Z`` (rows, q).

    ``data`` maps some statistics (``ZtZ``, ``ZtF``, ``Zty``, ``FtF``, ``Fty``, ``yty``,
    ``n_obs``) to data containers of the same shapes that replace ``stats``'s values in
    the graph, and ``row_weights`` (rows,) weights the rows' residuals: a refit then
    swaps in the statistics (and weights) of its training rows without compiling again.
    """
    J, q = stats.ZtZ.shape[:2]
    p = stats.FtF.shape[0]
    values = {k: getattr(stats, k) for k in ("ZtZ", "ZtF", "Zty", "FtF", "Fty", "yty", "n_obs")}
    values.update(data or {})
    ZtZ, ZtF, Zty, FtF, Fty, yty = (values[k] for k in ("ZtZ", "ZtF", "Zty", "FtF", "Fty", "yty"))
    sigma2 = sigma**2
    if residual is None:
        theta = pt.as_tensor(theta)
        if theta.ndim == 0:
            theta = theta[None]
        if stats.y_mean:
            theta = pt.concatenate([theta[:1] - stats.y_mean, theta[1:]])
        if p <= _UNROLL_MAX:
            # Written out over the coefficients: fused elementwise work, quick to compile.
            coef = [theta[k] for k in range(p)]
            c_raw = [Zty[:, a] - sum(ZtF[:, a, k] * coef[k] for k in range(p)) for a in range(q)]
            rr = yty - 2.0 * sum(Fty[k] * coef[k] for k in range(p))
            rr = rr + sum(
                (1.0 if k == m else 2.0) * FtF[k, m] * coef[k] * coef[m]
                for k in range(p)
                for m in range(k + 1)
            )
        else:
            Ztr = Zty - pt.tensordot(ZtF, theta, axes=[[2], [0]])
            c_raw = [Ztr[:, a] for a in range(q)]
            rr = yty - 2.0 * pt.dot(theta, Fty) + pt.dot(theta, FtF @ theta)
    else:
        weighted = residual if row_weights is None else residual * row_weights
        c_raw = [pt.inc_subtensor(pt.zeros(J)[codes], Z[:, a] * weighted) for a in range(q)]
        rr = pt.sum(weighted * residual)
    M, w = level_cholesky_solve(L, ZtZ, c_raw, sigma2)
    logdet = 2.0 * sum(pt.sum(pt.log(M[i][i])) for i in range(q))
    explained = sum(pt.sum(w[i] ** 2) for i in range(q))
    n = values["n_obs"]
    return -0.5 * (
        n * math.log(2 * math.pi)
        + n * pt.log(sigma2)
        + logdet
        + rr / sigma2
        - explained / sigma2**2
    )
