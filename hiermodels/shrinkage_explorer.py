"""The shrinkage explorer: sliders for τ and σ that move each group along its arrow.

In the normal varying-intercept model with known variances, partial pooling puts group
``j`` at the weighted mean of its own estimate and the population mean,

    partial_j = w_j · own_j + (1 − w_j) · μ,   w_j = n_j / (n_j + σ² / τ²),

so a group of ``n½ = σ²/τ²`` rows sits halfway. The explorer draws each group's own
estimate (hollow), its partial-pooling estimate at the chosen τ and σ (filled) and the
arrow between them against the group size, and it shows ``w_j`` and ``n½``. It is one
self-contained piece of HTML with inline SVG and JavaScript: no server and no network.
It renders in a notebook (:meth:`ShrinkageExplorer._repr_html_`) and in the HTML report.
The sliders start at the posterior means of τ and σ, where the filled points are the
precision-weighted estimates of :meth:`hiermodels.PoolingComparison.estimates`.

Examples
--------
>>> import pandas as pd
>>> est = pd.DataFrame({"n": [1, 4, 40], "none": [2.0, 0.5, 1.2]}, index=["a", "b", "c"])
>>> explorer = ShrinkageExplorer(est, population=1.0, tau=0.3, sigma=0.7, group="g")
>>> [round(float(w), 3) for w in explorer.weights()]
[0.155, 0.424, 0.88]
>>> round(explorer.half_weight_size(), 2)
5.44
>>> "<svg" in explorer.html() and "http" not in explorer.html().replace("http://www.w3.org", "")
True
"""

from __future__ import annotations

import html
import itertools
import json

import numpy as np
import pandas as pd

from hiermodels.errors import SpecError

__all__ = ["ShrinkageExplorer"]

_COUNTER = itertools.count()

_SCRIPT = """
(function () {
  const d = DATA, root = document.getElementById(d.id);
  const svg = root.querySelector("svg"), W = 760, H = 360, L = 56, R = 16, T = 14, B = 40;
  const ns = "http://www.w3.org/2000/svg";
  const logn = d.n.map(Math.log), x0 = Math.min(...logn) - 0.2, x1 = Math.max(...logn) + 0.2;
  const ys = d.own.concat([d.mu]), y0 = Math.min(...ys), y1 = Math.max(...ys);
  const pad = 0.06 * (y1 - y0 || 1);
  const sx = v => L + (W - L - R) * (v - x0) / (x1 - x0);
  const sy = v => T + (H - T - B) * (1 - (v - y0 + pad) / (y1 - y0 + 2 * pad));
  function el(name, attrs, parent) {
    const e = document.createElementNS(ns, name);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    (parent || svg).appendChild(e);
    return e;
  }
  el("line", {x1: L, x2: W - R, y1: H - B, y2: H - B, stroke: "#888"});
  el("line", {x1: L, x2: L, y1: T, y2: H - B, stroke: "#888"});
  for (const t of [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000]) {
    if (Math.log(t) < x0 || Math.log(t) > x1) continue;
    el("text", {x: sx(Math.log(t)), y: H - B + 16, "text-anchor": "middle",
                "font-size": 11}).textContent = t;
  }
  const step = Math.pow(10, Math.floor(Math.log10((y1 - y0 || 1) / 2)));
  const unit = (y1 - y0) / step > 8 ? 2 * step : (y1 - y0) / step < 3 ? step / 2 : step;
  for (let v = Math.ceil((y0 - pad) / unit) * unit; v <= y1 + pad; v += unit) {
    el("text", {x: L - 6, y: sy(v) + 4, "text-anchor": "end", "font-size": 11})
      .textContent = +v.toPrecision(4);
    el("line", {x1: L, x2: W - R, y1: sy(v), y2: sy(v), stroke: "#eee"});
  }
  el("text", {x: (L + W - R) / 2, y: H - 6, "text-anchor": "middle", "font-size": 12})
    .textContent = "rows in the " + d.group + " level (log scale)";
  const label = el("text", {x: 14, y: (T + H - B) / 2, "text-anchor": "middle",
                            "font-size": 12, transform: "rotate(-90 14 " + (T + H - B) / 2 + ")"});
  label.textContent = d.term + " estimate";
  const muLine = el("line", {x1: L, x2: W - R, y1: sy(d.mu), y2: sy(d.mu),
                             stroke: "#2a7", "stroke-dasharray": "4 3"});
  const arrows = [], dots = [];
  d.n.forEach((n, j) => {
    const x = sx(logn[j] + d.jitter[j]);
    arrows.push(el("line", {x1: x, x2: x, y1: sy(d.own[j]), y2: sy(d.own[j]),
                            stroke: "#999", "stroke-width": 1}));
    el("circle", {cx: x, cy: sy(d.own[j]), r: 3.5, fill: "white", stroke: "#c44"});
    const dot = el("circle", {cx: x, cy: sy(d.own[j]), r: 3, fill: "#27c"});
    el("title", {}, dot).textContent = d.levels[j] + " (n = " + n + ")";
    dots.push(dot);
  });
  const tau = root.querySelector(".hm-tau"), sigma = root.querySelector(".hm-sigma");
  const out = root.querySelector(".hm-readout");
  function update() {
    const t = d.tau * Math.pow(10, +tau.value), s = d.sigma * Math.pow(10, +sigma.value);
    const half = (s * s) / (t * t);
    d.n.forEach((n, j) => {
      const w = n / (n + half), p = w * d.own[j] + (1 - w) * d.mu;
      dots[j].setAttribute("cy", sy(p));
      arrows[j].setAttribute("y2", sy(p));
    });
    const small = d.n.indexOf(Math.min(...d.n)), big = d.n.indexOf(Math.max(...d.n));
    const w = n => (n / (n + half)).toFixed(2);
    out.textContent = "tau = " + t.toPrecision(3) + ", sigma = " + s.toPrecision(3) +
      ": a level's own data get the weight n / (n + sigma^2/tau^2); a level of " +
      half.toPrecision(3) + " rows sits halfway. Weight of the smallest level (n = " +
      d.n[small] + "): " + w(d.n[small]) + "; of the largest (n = " + d.n[big] + "): " +
      w(d.n[big]) + ".";
  }
  tau.addEventListener("input", update);
  sigma.addEventListener("input", update);
  update();
})();
"""


class ShrinkageExplorer:
    """Sliders for τ and σ over the groups of a normal varying-intercept model.

    Parameters
    ----------
    estimates
        One row per level, with columns ``n`` (rows) and ``none`` (the level's own
        estimate), as :meth:`hiermodels.PoolingComparison.estimates` gives.
    population
        The population mean μ that partial pooling shrinks toward.
    tau, sigma
        Where the sliders start: the group SD and the residual SD (posterior means).
    group, term
        Names for the labels.
    """

    def __init__(
        self,
        estimates: pd.DataFrame,
        *,
        population: float,
        tau: float,
        sigma: float,
        group: str,
        term: str = "Intercept",
    ):
        missing = [c for c in ("n", "none") if c not in estimates.columns]
        if missing:
            raise SpecError(
                f"The explorer needs the columns 'n' and 'none'; {missing} are missing."
            )
        for name, value in (("tau", tau), ("sigma", sigma)):
            if not (np.isfinite(value) and value > 0):
                raise SpecError(f"{name} must be a positive number, got {value!r}.")
        self.levels = [str(v) for v in estimates.index]
        self.n = estimates["n"].to_numpy(dtype=float)
        self.own = estimates["none"].to_numpy(dtype=float)
        self.population = float(population)
        self.tau, self.sigma = float(tau), float(sigma)
        self.group, self.term = group, term

    def weights(self, tau: float | None = None, sigma: float | None = None) -> np.ndarray:
        """``w_j = n_j / (n_j + σ²/τ²)``: the weight of each level's own estimate."""
        tau = self.tau if tau is None else tau
        sigma = self.sigma if sigma is None else sigma
        return self.n / (self.n + sigma**2 / tau**2)

    def partial(self, tau: float | None = None, sigma: float | None = None) -> np.ndarray:
        """The partial-pooling estimates at ``tau`` and ``sigma`` (the starting values)."""
        w = self.weights(tau, sigma)
        return w * self.own + (1 - w) * self.population

    def half_weight_size(self, tau: float | None = None, sigma: float | None = None) -> float:
        """``σ²/τ²``: the group size at which a level's own data get half the weight."""
        tau = self.tau if tau is None else tau
        sigma = self.sigma if sigma is None else sigma
        return sigma**2 / tau**2

    def html(self) -> str:
        """The explorer as one self-contained HTML fragment (inline SVG and script)."""
        uid = f"hm-shrinkage-{next(_COUNTER)}"
        rng = np.random.default_rng(0)
        data = {
            "id": uid,
            "levels": self.levels,
            "n": self.n.tolist(),
            "own": self.own.tolist(),
            "mu": self.population,
            "tau": self.tau,
            "sigma": self.sigma,
            "group": self.group,
            "term": self.term,
            "jitter": (rng.uniform(-0.06, 0.06, len(self.n))).tolist(),
        }
        payload = json.dumps(data).replace("</", "<\\/")
        return (
            f'<div id="{uid}" class="hm-explorer" style="font-family: system-ui, sans-serif">'
            '<div style="display: flex; gap: 2em; font-size: 0.9em">'
            '<label>group SD tau <input class="hm-tau" type="range" min="-1" max="1" '
            'step="0.01" value="0"></label>'
            '<label>residual SD sigma <input class="hm-sigma" type="range" min="-1" max="1" '
            'step="0.01" value="0"></label></div>'
            '<svg viewBox="0 0 760 360" width="760" height="360" role="img" '
            f'aria-label="{html.escape(self.group)} estimates against size"></svg>'
            '<p class="hm-readout" style="font-size: 0.9em"></p>'
            "<p style='font-size: 0.8em; color: #555'>Hollow: each level's own estimate; "
            "filled: its partial-pooling estimate at the chosen tau and sigma; dashed: the "
            "population mean. The sliders span a tenth to ten times the posterior means.</p>"
            f"<script>{_SCRIPT.replace('DATA', payload)}</script></div>"
        )

    def _repr_html_(self) -> str:
        return self.html()
