# mgcv reference for the penalised smooths of issue #16 (tests/test_smooth_plots.py).
#   mcycle: MASS's motorcycle crash data (datasets/mcycle.csv; Silverman 1985), head
#   acceleration `accel` (g) against `times` (ms after impact), 133 rows.
#   gam(accel ~ s(times, bs = "cr", k = 10), method = "REML"): the cubic regression
#   spline of hiermodels' s(times) (knots at mgcv's place.knots, sum-to-zero constraint).
# mgcv_mcycle_basis.csv holds mgcv's model matrix at those times and
# mgcv_mcycle_knots.txt its 10 knots.
# Run as
#   cd tests/reference && Rscript mgcv_mcycle.R          # writes mgcv_mcycle.csv
#   cd tests/reference && Rscript mgcv_mcycle.R export   # writes ../../datasets/mcycle.csv
# mgcv_mcycle.csv holds, at 50 evenly spaced times over the observed range, the fitted
# mean `fit` (link = response scale, gaussian), its standard error `se` and the 89%
# band `lower`, `upper` = fit -/+ qnorm(0.945) * se (mgcv's Bayesian credible band,
# conditional on the REML smoothing parameter).
suppressPackageStartupMessages({
  library(MASS)
  library(mgcv)
})

args <- commandArgs(trailingOnly = TRUE)
if (length(args) > 0 && args[1] == "export") {
  write.csv(MASS::mcycle, file.path("..", "..", "datasets", "mcycle.csv"), row.names = FALSE)
  quit(save = "no")
}

mcycle <- read.csv(file.path("..", "..", "datasets", "mcycle.csv"))
fit <- gam(accel ~ s(times, bs = "cr", k = 10), data = mcycle, method = "REML")
grid <- data.frame(times = seq(min(mcycle$times), max(mcycle$times), length.out = 50))
pred <- predict(fit, grid, se.fit = TRUE)
z <- qnorm(0.945)
out <- data.frame(
  times = grid$times,
  fit = as.numeric(pred$fit),
  se = as.numeric(pred$se.fit),
  lower = as.numeric(pred$fit - z * pred$se.fit),
  upper = as.numeric(pred$fit + z * pred$se.fit)
)
write.csv(out, "mgcv_mcycle.csv", row.names = FALSE)
# The basis: mgcv's knots and its model matrix (intercept + 9 constrained cr columns) at
# the same 50 times; hiermodels' [1, times, penalised columns] must span the same space.
knots <- fit$smooth[[1]]$xp
lp <- predict(fit, grid, type = "lpmatrix")
basis <- data.frame(times = grid$times, lp, check.names = FALSE)
write.csv(basis, "mgcv_mcycle_basis.csv", row.names = FALSE)
writeLines(format(knots, digits = 17), "mgcv_mcycle_knots.txt")
cat(sprintf("edf %.3f, sigma %.3f, REML sp %.5g\n", sum(fit$edf), sqrt(fit$sig2), fit$sp))
