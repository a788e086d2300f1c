"""The draws of a kernel model on the constrained scale, in NumPy over all draws at once.

nutpie stores what a model's expand function returns for each draw. A kernel model's
expand entry point only copies the unconstrained point (nothing to compile per kernel);
this module then computes the rest for every draw together: the constrained values of
the transformed variables and the deterministics (SDs, correlations, group effects, the
intercept at uncentred slopes), following the expand program of the layout
(:mod:`hiermodels.collapsed_layout`, :mod:`hiermodels.intercept_layout`), and names
and dims them as nutpie names the draws of the PyMC model.

Examples
--------
>>> import numpy as np
>>> from hiermodels.kernels.collapsed_density import EXP
>>> ints = np.array([1, 1, 0, 0, 0, 0, 0, 8, 1, EXP, 1, 1, 0])  # one op: exp of x[0]
>>> float(expand_draws(0, ints, np.zeros(0), np.array([[0.0]]), 2)[0, 1])
1.0
"""

from __future__ import annotations

import math

import numpy as np
import xarray as xr

from hiermodels.kernels import collapsed_density as collapsed
from hiermodels.kernels import glmm_density as glmm
from hiermodels.kernels import intercept_density as intercepts
from hiermodels.kernels.glmm_hyper import FACTOR, HEADER, hyper_draws

__all__ = ["expand_draws", "posterior_of"]


def _blocks(ints: np.ndarray) -> list[tuple[int, int, np.ndarray]]:
    """A collapsed model's covariance blocks: ``(kind, x_start, terms)`` each."""
    p, n_blocks = ints[2], ints[4]
    at, out = collapsed.HEADER + p, []
    for _ in range(n_blocks):
        kind, size, x0 = ints[at], ints[at + 1], ints[at + 2]
        out.append((kind, x0, np.asarray(ints[at + 4 : at + 4 + size])))
        at += 4 + size
    return out


def _root(x: np.ndarray, ints: np.ndarray) -> np.ndarray:
    """``L`` (draws, q, q) of a collapsed model from its blocks (as the kernel fills it:
    exp of the SDs and of the LKJ factors' diagonals, their packed rows)."""
    q = ints[1]
    L = np.zeros((x.shape[0], q, q))
    for kind, k, terms in _blocks(ints):
        for i in range(len(terms)):
            for m in range(i + 1 if kind else 1):
                L[:, terms[i], terms[m]] = np.exp(x[:, k]) if m == i else x[:, k]
                k += 1
    return L


def _collapsed_op(op, size, arg, x, ints, floats, L):
    q, p = ints[1], ints[2]
    if op == collapsed.PACKED:
        out = x[:, arg : arg + size * (size + 1) // 2].copy()
        diag = np.cumsum(np.arange(1, size + 1)) - 1
        out[:, diag] = np.exp(out[:, diag])
        return out
    if op == collapsed.SD:
        sds = [np.sqrt(np.sum(L[:, b] ** 2, axis=-1)) for _, _, b in _blocks(ints)]
        return np.concatenate(sds, axis=1)
    if op == collapsed.COR:
        cor = np.broadcast_to(np.eye(q), (x.shape[0], q, q)).copy()
        for _, _, b in _blocks(ints):
            Lb = L[:, b]
            sd = np.sqrt(np.sum(Lb**2, axis=-1))
            block = (Lb @ np.swapaxes(Lb, 1, 2)) / (sd[:, :, None] * sd[:, None, :])
            cor[:, b[:, None], b[None, :]] = block
        return cor.reshape(x.shape[0], q * q)
    slopes = x[:, ints[collapsed.HEADER + 1 : collapsed.HEADER + p]]
    return (x[:, ints[collapsed.HEADER]] - slopes @ floats[arg : arg + p - 1])[:, None]


def _level_means(x, ints, floats) -> np.ndarray:
    """Each factor's level mean per draw (draws, factors), as the shear draws it."""
    F, H, R = ints[1], intercepts.HEADER, intercepts.FACTOR
    records = [ints[H + R * f : H + R * (f + 1)] for f in range(F)]
    means = np.empty((x.shape[0], F))
    sheared = [f for f in range(F) if records[f][5]]
    for f in range(F):
        J, sd_x, zbar_x = records[f][0], records[f][1], records[f][2]
        if not records[f][5]:
            means[:, f] = np.exp(x[:, sd_x]) * x[:, zbar_x] / math.sqrt(J)
    if sheared:
        lbar = np.stack(
            [np.exp(x[:, records[f][1]]) / math.sqrt(records[f][0]) for f in sheared], 1
        )
        root = np.sqrt(floats[1] + np.sum(lbar**2, axis=1))
        v = (x[:, ints[5]] - floats[0]) / root
        G = lbar / root[:, None]
        B = np.eye(len(sheared)) - G[:, :, None] * G[:, None, :]
        zbar = np.stack([x[:, records[f][2]] for f in sheared], 1)
        means[:, sheared] = lbar * (
            G * v[:, None] + np.einsum("sab,sb->sa", np.linalg.cholesky(B), zbar)
        )
    return means


def _sum_zero(w: np.ndarray, J: int) -> np.ndarray:
    """Per draw, the ``J`` deviations (axis 1) from the ``J - 1`` rows ``w`` (the
    sum-zero embedding of :mod:`hiermodels.backend.group_effects`)."""
    total = w.sum(axis=1, keepdims=True)
    return np.concatenate([w - total / (J - math.sqrt(J)), total / math.sqrt(J)], axis=1)


def _intercept_op(op, size, arg, x, ints, floats, means):
    H, R = intercepts.HEADER, intercepts.FACTOR
    if op == intercepts.EFFECTS:
        J, sd_x, _, w_x, centred = ints[H + R * arg : H + R * arg + 5]
        w = x[:, w_x : w_x + J - 1] * (1.0 if centred else np.exp(x[:, sd_x : sd_x + 1]))
        return _sum_zero(w, J) + means[:, arg : arg + 1]
    value = x[:, ints[5]].copy()
    for f in range(ints[1]):
        if ints[H + R * f + 5]:
            value -= means[:, f]
    P, centre = ints[2], int(floats[7])
    slopes = x[:, ints[6] : ints[6] + P]
    return (value - slopes @ floats[centre : centre + P])[:, None]


def _glmm_w(x, ints, at, L):
    """A GLMM factor's ``J - 1`` rows ``w`` per draw: ``z L'`` or sampled."""
    J, q, centred, w_at = ints[at], ints[at + 1], ints[at + 2], ints[at + 10]
    W = np.empty((x.shape[0], J - 1, q))
    for t in range(q):
        x0, stride = ints[w_at + 2 * t], ints[w_at + 2 * t + 1]
        W[:, :, t] = x[:, x0 + stride * np.arange(J - 1)]
    return W if centred else np.einsum("dks,dts->dkt", W, L[:, :q, :q])


def _glmm_shifts(ints, P):
    """Per fixed coefficient, the ``(factor, term)`` level means it absorbs."""
    at, out = ints[13], []
    for _ in range(P + 1):
        n = ints[at]
        out.append(ints[at + 1 : at + 1 + n].reshape(-1, 2))
        at += 1 + n
    return out


def _glmm_op(op, size, arg, x, ints, floats, L, R):
    if op == glmm.PACKED:
        k = round((math.sqrt(8 * size + 1) - 1) / 2)
        out = x[:, arg : arg + size].copy()
        diag = np.cumsum(np.arange(1, k + 1)) - 1
        out[:, diag] = np.exp(out[:, diag])
        return out
    if op in (glmm.SD, glmm.COR, glmm.EFFECTS):
        at = HEADER + FACTOR * arg
        J, q = ints[at], ints[at + 1]
        Lf = L[:, arg, :q, :q]
        sd = np.sqrt(np.sum(Lf**2, axis=-1))
        if op == glmm.SD:
            return sd
        if op == glmm.COR:
            cov = Lf @ np.swapaxes(Lf, 1, 2)
            return (cov / (sd[:, :, None] * sd[:, None, :])).reshape(x.shape[0], q * q)
        W = _glmm_w(x, ints, at, L[:, arg])
        return (_sum_zero(W, J) + R[:, arg, None, :q]).reshape(x.shape[0], J * q)
    if op == glmm.ORDERED:
        return _ordered(x, arg, size)
    if op == glmm.SIGMA_INTERCEPT:  # a - centre . b of sigma's formula
        at = ints[16]
        a_x, P, centre_at = ints[at], ints[at + 1], ints[at + 4]
        centre = floats[centre_at : centre_at + P]
        return (x[:, a_x] - x[:, ints[at + 5 : at + 5 + P]] @ centre)[:, None]
    P = ints[2]
    shifts = _glmm_shifts(ints, P)
    slopes = x[:, ints[ints[6] : ints[6] + P]]
    centre = floats[int(floats[9]) : int(floats[9]) + P]
    if op == glmm.THRESHOLDS:  # they enter with the opposite sign of an intercept
        n, x0 = ints[ints[14]], ints[ints[14] + 1]
        value = _ordered(x, x0, n) + (slopes @ centre)[:, None]
        for f, t in shifts[0]:
            value += R[:, f, t][:, None]
        return value
    if op == glmm.SLOPES:
        out = slopes.copy()
        for k in range(P):
            for f, t in shifts[1 + k]:
                out[:, k] -= R[:, f, t]
        return out
    value = x[:, ints[5]].copy()
    for f, t in shifts[0]:
        value -= R[:, f, t]
    return (value - slopes @ centre)[:, None]


def _ordered(x, x0, n):
    """Ordered values from their transform: the first, then positive increments."""
    steps = np.concatenate([x[:, x0 : x0 + 1], np.exp(x[:, x0 + 1 : x0 + n])], axis=1)
    return np.cumsum(steps, axis=1)


def _glmm_expand(ints, floats, x, n_out):
    at = ints[12]
    n_ops = ints[at]
    ops = ints[at + 1 : at + 1 + 4 * n_ops].reshape(n_ops, 4)
    out = np.empty((x.shape[0], n_out))
    L, R = hyper_draws(np.ascontiguousarray(x), ints, floats)
    for op, o, size, arg in ops:
        if op == glmm.COPY:
            out[:, o : o + size] = x[:, arg : arg + size]
        elif op == glmm.EXP:
            out[:, o : o + size] = np.exp(x[:, arg : arg + size])
        elif op == glmm.EXPIT:
            out[:, o : o + size] = 1.0 / (1.0 + np.exp(-x[:, arg : arg + size]))
        else:
            out[:, o : o + size] = _glmm_op(op, size, arg, x, ints, floats, L, R)
    return out


def expand_draws(
    kind: int, ints: np.ndarray, floats: np.ndarray, x: np.ndarray, n_out: int
) -> np.ndarray:
    """The expanded draws (draws, ``n_out``) from unconstrained ones (draws, n_dim):
    ``kind`` 1 a varying-intercept GLMM, 3 a GLMM with slopes (:mod:`hiermodels.
    kernels.glmm_density`), any other a collapsed gaussian model."""
    if kind == 3:
        return _glmm_expand(ints, floats, x, n_out)
    kind = 1 if kind == 1 else 0
    module = collapsed if kind == 0 else intercepts
    at = ints[7]
    n_ops = ints[at]
    ops = ints[at + 1 : at + 1 + 4 * n_ops].reshape(n_ops, 4)
    out = np.empty((x.shape[0], n_out))
    extra = _root(x, ints) if kind == 0 else _level_means(x, ints, floats)
    for op, o, size, arg in ops:
        if op == module.COPY:
            out[:, o : o + size] = x[:, arg : arg + size]
        elif op == module.EXP:
            out[:, o : o + size] = np.exp(x[:, arg : arg + size])
        else:
            part = (_collapsed_op if kind == 0 else _intercept_op)(
                op, size, arg, x, ints, floats, extra
            )
            out[:, o : o + part.shape[1]] = part
    return out


def posterior_of(kernel, posterior: xr.Dataset) -> xr.Dataset:
    """nutpie's posterior of a kernel model (the unconstrained draws, under the value
    variables' names) completed with the constrained values and deterministics, named
    and dimensioned as nutpie names those of the PyMC model (``kernel``: a
    :class:`hiermodels.kernel_entry.KernelModel`)."""
    layout = kernel.layout
    names, slices, shapes = layout.shape_info
    chains, draws = posterior.sizes["chain"], posterior.sizes["draw"]
    x = np.empty((chains * draws, layout.n_dim))
    for name, where in zip(names, slices, strict=True):
        if where.stop <= layout.n_dim:
            x[:, where] = posterior[name].values.reshape(chains * draws, -1)
    full = expand_draws(kernel.kind, layout.ints, layout.floats, x, layout.n_expanded)
    renamed = set(layout.renamed)
    out = {}
    for name, where, shape in zip(names, slices, shapes, strict=True):
        if name in renamed:
            continue
        dims = list(kernel.dims.get(name) or [f"{name}_dim_{i}" for i in range(len(shape))])
        coords = {
            d: kernel.coords[d] if d in kernel.coords else np.arange(n)
            for d, n in zip(dims, shape, strict=True)
        }
        values = full[:, where].reshape(chains, draws, *shape)
        out[name] = xr.DataArray(values, dims=["chain", "draw", *dims], coords=coords)
    chain_draw = {"chain": posterior["chain"].values, "draw": posterior["draw"].values}
    return xr.Dataset(out, coords=chain_draw)
