# glmmTMB references for distributional formulas (issue #16; tests/test_distributional.py).
#   sleepstudy_disp: Reaction ~ Days + (Days | Subject) with dispformula = ~ Days
#     (datasets/sleepstudy.csv). glmmTMB's gaussian dispersion model is on log(sigma^2);
#     hiermodels' (and brms's) sigma formula is on log(sigma), so the dispersion
#     coefficients and their standard errors are halved here (part "sigma").
#   salamanders_zi: count ~ mined + (1 | site) with ziformula = ~ mined, Poisson
#     (datasets/Salamanders.csv, Price et al. 2016); the zero-inflation model is on the
#     logit scale in both packages (part "zi"). `mined` is releveled so that "no" is the
#     baseline, as hiermodels orders it (term mined[yes]).
#   salamanders_zi_reml: the same model fitted by REML (REML = TRUE). `mined` is a
#     site-level predictor and there are 23 sites: ML's site SD (0.28) is biased low
#     against REML's (0.33) and the posterior's, and the mined coefficient moves with
#     it; REML, which integrates the fixed effects out as the posterior does, is the
#     comparison the test makes (the ML rows are kept for the record).
# Maximum likelihood with the Laplace approximation (glmmTMB's defaults). Run as
#   cd tests/reference && Rscript glmmtmb_distributional.R
# Writes glmmtmb_distributional.csv: case, part ("mu", "sigma", "zi"), kind ("fixef",
# "sd", "cor"), term (named as hiermodels names it), estimate, std_error.
suppressPackageStartupMessages(library(glmmTMB))

sleep <- read.csv(file.path("..", "..", "datasets", "sleepstudy.csv"))
sleep$Subject <- factor(sleep$Subject)
salamanders <- read.csv(file.path("..", "..", "datasets", "Salamanders.csv"))
salamanders$site <- factor(salamanders$site)
salamanders$mined <- factor(salamanders$mined, levels = c("no", "yes"))

hm_term <- function(x) {
  x <- sub("(Intercept)", "Intercept", x, fixed = TRUE)
  sub("^minedyes$", "mined[yes]", x)
}

table_of <- function(case, part, cf, scale = 1) {
  data.frame(case = case, part = part, kind = "fixef", term = hm_term(rownames(cf)),
             estimate = cf[, 1] * scale, std_error = cf[, 2] * scale)
}

rows <- list()

fit <- glmmTMB(Reaction ~ Days + (Days | Subject), dispformula = ~ Days, data = sleep)
stopifnot(fit$fit$convergence == 0, isTRUE(fit$sdr$pdHess))
s <- summary(fit)$coefficients
rows[[length(rows) + 1]] <- table_of("sleepstudy_disp", "mu", s$cond)
rows[[length(rows) + 1]] <- table_of("sleepstudy_disp", "sigma", s$disp, scale = 0.5)
vc <- VarCorr(fit)$cond$Subject
rows[[length(rows) + 1]] <- data.frame(case = "sleepstudy_disp", part = "mu", kind = "sd",
                                       term = hm_term(names(attr(vc, "stddev"))),
                                       estimate = unname(attr(vc, "stddev")), std_error = NA)
rows[[length(rows) + 1]] <- data.frame(case = "sleepstudy_disp", part = "mu", kind = "cor",
                                       term = "Intercept:Days",
                                       estimate = attr(vc, "correlation")[1, 2], std_error = NA)

for (reml in c(FALSE, TRUE)) {
  case <- if (reml) "salamanders_zi_reml" else "salamanders_zi"
  fit <- glmmTMB(count ~ mined + (1 | site), ziformula = ~ mined, family = poisson(),
                 data = salamanders, REML = reml)
  stopifnot(fit$fit$convergence == 0, isTRUE(fit$sdr$pdHess))
  s <- summary(fit)$coefficients
  rows[[length(rows) + 1]] <- table_of(case, "mu", s$cond)
  rows[[length(rows) + 1]] <- table_of(case, "zi", s$zi)
  vc <- VarCorr(fit)$cond$site
  rows[[length(rows) + 1]] <- data.frame(case = case, part = "mu", kind = "sd",
                                         term = "Intercept",
                                         estimate = unname(attr(vc, "stddev")), std_error = NA)
}

out <- do.call(rbind, rows)
rownames(out) <- NULL
write.csv(out, "glmmtmb_distributional.csv", row.names = FALSE)
cat(sprintf("R %s, glmmTMB %s\n", getRversion(), packageVersion("glmmTMB")))
print(out)
