# glmmTMB fits of the simulated data sets of tests/reference/family_cases.py (issue #15):
# zero-inflated Poisson and negative binomial (nbinom2) with a constant zero-inflation
# probability, beta and gamma (log link), each y ~ x + (1 + x | g) by maximum likelihood
# (Laplace approximation). Run as `cd tests/reference && Rscript glmmtmb_families.R`;
# writes glmmtmb_families.csv with columns case, kind, term, estimate, std_error:
# kind "fixef" (conditional-model fixed effects), "sd" and "cor" (group g), and "aux" for
# the family parameter on hiermodels' scale: zi = plogis(zi intercept), alpha = sigma()
# for nbinom2 (var = mu + mu^2 / theta), phi = sigma() for beta_family (precision),
# shape = 1 / sigma()^2 for Gamma (sigma() is glmmTMB's coefficient of variation).
suppressPackageStartupMessages(library(glmmTMB))

cases <- list(
  zero_inflated_poisson = list(family = poisson(), zi = ~1),
  zero_inflated_negative_binomial = list(family = nbinom2(), zi = ~1),
  beta = list(family = beta_family(), zi = ~0),
  gamma = list(family = Gamma(link = "log"), zi = ~0)
)

rows <- list()
for (case in names(cases)) {
  d <- read.csv(file.path("family_data", paste0(case, ".csv")))
  d$g <- factor(d$g)
  spec <- cases[[case]]
  fit <- glmmTMB(y ~ x + (1 + x | g), data = d, family = spec$family, ziformula = spec$zi)
  stopifnot(fit$fit$convergence == 0, isTRUE(fit$sdr$pdHess))
  cf <- summary(fit)$coefficients$cond
  terms <- sub("(Intercept)", "Intercept", rownames(cf), fixed = TRUE)
  rows[[length(rows) + 1]] <- data.frame(case = case, kind = "fixef", term = terms,
                                         estimate = cf[, 1], std_error = cf[, 2])
  vc <- VarCorr(fit)$cond$g
  sds <- attr(vc, "stddev")
  rows[[length(rows) + 1]] <- data.frame(case = case, kind = "sd",
                                         term = sub("(Intercept)", "Intercept", names(sds), fixed = TRUE),
                                         estimate = unname(sds), std_error = NA)
  rows[[length(rows) + 1]] <- data.frame(case = case, kind = "cor", term = "Intercept:x",
                                         estimate = attr(vc, "correlation")[1, 2], std_error = NA)
  aux <- switch(case,
    zero_inflated_poisson = c(zi = plogis(fixef(fit)$zi[[1]])),
    zero_inflated_negative_binomial = c(zi = plogis(fixef(fit)$zi[[1]]), alpha = sigma(fit)),
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
