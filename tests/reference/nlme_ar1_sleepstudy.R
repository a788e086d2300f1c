# Residual AR(1) within subjects with a varying intercept (issue #16, acceptance 1c):
#   lme(Reaction ~ Days, random = ~ 1 | Subject,
#       correlation = corAR1(form = ~ Days | Subject), method = "REML")
# on sleepstudy (Belenky et al. 2003; lme4's data). Writes nlme_ar1_sleepstudy.csv: the
# fixed effects with standard errors, the subject SD, sigma (the marginal residual SD)
# and phi, each with nlme's approximate 95% interval (intervals()). Run from the
# repository root:
#   Rscript tests/reference/nlme_ar1_sleepstudy.R
# nlme 3.1.162, R 4.2 (Debian r-base-core / r-cran-nlme).
# The alcohol data (alcohol1_pp) and Oxboys were tried first: with a varying intercept
# and AR(1), nlme puts the intercept SD on the boundary (0.002 and 0.004, intervals
# 1e-30 to 1e+23), so they make no reference for the SDs.
suppressPackageStartupMessages(library(nlme))
df <- read.csv("datasets/sleepstudy.csv")
fit <- lme(Reaction ~ Days, data = df, random = ~ 1 | Subject,
           correlation = corAR1(form = ~ Days | Subject), method = "REML")
fe <- summary(fit)$tTable
ci <- intervals(fit, which = "all")
out <- data.frame(
  kind = c("fixef", "fixef", "sd", "sigma", "ar"),
  term = c("Intercept", "Days", "sd|Subject|Intercept", "sigma", "ar"),
  estimate = c(fe[, "Value"], ci$reStruct$Subject[1, "est."], ci$sigma["est."],
               ci$corStruct[1, "est."]),
  std_error = c(fe[, "Std.Error"], NA, NA, NA),
  lower = c(ci$fixed[, "lower"], ci$reStruct$Subject[1, "lower"], ci$sigma["lower"],
            ci$corStruct[1, "lower"]),
  upper = c(ci$fixed[, "upper"], ci$reStruct$Subject[1, "upper"], ci$sigma["upper"],
            ci$corStruct[1, "upper"])
)
write.csv(out, "tests/reference/nlme_ar1_sleepstudy.csv", row.names = FALSE)
