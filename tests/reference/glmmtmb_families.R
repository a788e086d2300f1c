# glmmTMB references for the families of issue #15 (tests/test_families.py).
#   salamanders_zip, salamanders_zinb: glmmTMB's Salamanders data (datasets/Salamanders.csv,
#     Price et al. 2016), count ~ mined + (1 | site) with a constant zero-inflation
#     probability (ziformula = ~1), Poisson and nbinom2. `mined` is releveled so that "no"
#     is the baseline, as hiermodels orders it (term mined[yes]).
#   beta, gamma: the simulated data sets of tests/reference/family_cases.py
#     (family_data/<case>.csv, seeds there), y ~ x + (1 + x | g), beta_family() (logit)
#     and Gamma(link = "log").
# Maximum likelihood with the Laplace approximation (glmmTMB's defaults). Run as
#   cd tests/reference && Rscript glmmtmb_families.R
# Writes glmmtmb_families.csv: case, kind, term, estimate, std_error, with kind "fixef"
# (conditional-model fixed effects, named as hiermodels names them), "sd" and "cor" (the
# grouping factor), and "aux", the family parameter on hiermodels' scale:
# zi = plogis(zi intercept); alpha = sigma() of nbinom2 (var = mu + mu^2 / alpha);
# phi = sigma() of beta_family (the precision); shape = 1 / sigma()^2 of Gamma (sigma()
# is glmmTMB's coefficient of variation).
suppressPackageStartupMessages(library(glmmTMB))

salamanders <- read.csv(file.path("..", "..", "datasets", "Salamanders.csv"))
salamanders$site <- factor(salamanders$site)
salamanders$mined <- factor(salamanders$mined, levels = c("no", "yes"))

simulated <- function(case) {
  d <- read.csv(file.path("family_data", paste0(case, ".csv")))
  d$g <- factor(d$g)
  d
}

cases <- list(
  salamanders_zip = list(formula = count ~ mined + (1 | site), data = salamanders,
                         family = poisson(), zi = ~1, group = "site"),
  salamanders_zinb = list(formula = count ~ mined + (1 | site), data = salamanders,
                          family = nbinom2(), zi = ~1, group = "site"),
  beta = list(formula = y ~ x + (1 + x | g), data = simulated("beta"),
              family = beta_family(), zi = ~0, group = "g"),
  gamma = list(formula = y ~ x + (1 + x | g), data = simulated("gamma"),
               family = Gamma(link = "log"), zi = ~0, group = "g")
)

hm_term <- function(x) {
  x <- sub("(Intercept)", "Intercept", x, fixed = TRUE)
  sub("^minedyes$", "mined[yes]", x)
}

rows <- list()
for (case in names(cases)) {
  spec <- cases[[case]]
  fit <- glmmTMB(spec$formula, data = spec$data, family = spec$family, ziformula = spec$zi)
  stopifnot(fit$fit$convergence == 0, isTRUE(fit$sdr$pdHess))
  cf <- summary(fit)$coefficients$cond
  rows[[length(rows) + 1]] <- data.frame(case = case, kind = "fixef", term = hm_term(rownames(cf)),
                                         estimate = cf[, 1], std_error = cf[, 2])
  vc <- VarCorr(fit)$cond[[spec$group]]
  sds <- attr(vc, "stddev")
  rows[[length(rows) + 1]] <- data.frame(case = case, kind = "sd", term = hm_term(names(sds)),
                                         estimate = unname(sds), std_error = NA)
  if (length(sds) == 2) {
    rows[[length(rows) + 1]] <- data.frame(case = case, kind = "cor", term = "Intercept:x",
                                           estimate = attr(vc, "correlation")[1, 2],
                                           std_error = NA)
  }
  aux <- switch(case,
    salamanders_zip = c(zi = plogis(fixef(fit)$zi[[1]])),
    salamanders_zinb = c(zi = plogis(fixef(fit)$zi[[1]]), alpha = sigma(fit)),
    beta = c(phi = sigma(fit)),
    gamma = c(shape = 1 / sigma(fit)^2)
  )
  rows[[length(rows) + 1]] <- data.frame(case = case, kind = "aux", term = names(aux),
                                         estimate = unname(aux), std_error = NA)
}
out <- do.call(rbind, rows)
write.csv(out, "glmmtmb_families.csv", row.names = FALSE, na = "")
cat(sprintf("%s, glmmTMB %s, TMB %s\n", R.version.string, packageVersion("glmmTMB"),
            packageVersion("TMB")))
