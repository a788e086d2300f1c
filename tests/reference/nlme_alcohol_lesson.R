# The alcohol-use lesson's model (course text "alcohol-use-growth"), refitted with nlme:
#   lme(alcuse ~ coa + peer + time, random = ~ time | id, method = "REML")
# with time = age_14 (0, 1, 2). Writes nlme_alcohol_lesson.csv: every number of the
# lesson's table (fixed effects and standard errors, the two SDs, their correlation,
# sigma, AIC, BIC, logLik). Run from the repository root:
#   Rscript tests/reference/nlme_alcohol_lesson.R
# nlme 3.1.162, R 4.2 (Debian r-base-core / r-cran-nlme).
suppressPackageStartupMessages(library(nlme))
df <- read.csv("datasets/alcohol1_pp.csv")
df$time <- df$age_14
fit <- lme(alcuse ~ coa + peer + time, data = df, random = ~ time | id, method = "REML")
fe <- summary(fit)$tTable
# exact values (VarCorr() prints them rounded to 7 digits and the correlation to 3)
psi <- as.matrix(fit$modelStruct$reStruct[[1]]) * fit$sigma^2
sds <- c(sqrt(diag(psi)), fit$sigma)
rho <- psi[1, 2] / sqrt(psi[1, 1] * psi[2, 2])
rows <- rbind(
  data.frame(kind = "fixef", term = rownames(fe), estimate = fe[, "Value"],
             std_error = fe[, "Std.Error"]),
  data.frame(kind = "sd", term = c("Intercept", "time", "Residual"),
             estimate = sds, std_error = NA),
  data.frame(kind = "cor", term = "Intercept:time",
             estimate = rho, std_error = NA),
  data.frame(kind = "fit", term = c("AIC", "BIC", "logLik"),
             estimate = c(AIC(fit), BIC(fit), as.numeric(logLik(fit))), std_error = NA)
)
rows$term[rows$term == "(Intercept)"] <- "Intercept"
write.csv(rows, "tests/reference/nlme_alcohol_lesson.csv", row.names = FALSE)
print(rows, digits = 10)
