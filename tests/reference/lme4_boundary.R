# lme4 reference fits whose optimum lies on or near the boundary of the covariance
# parameters (issue #22): ScotsSec's cross-classified model, where one SD is zero, and
# Hsb82 models whose intercept-slope correlation an optimiser can wrongly push to 1.
#
# Usage:  Rscript lme4_boundary.R [DATASET_DIR] [OUTPUT_CSV]
#   DATASET_DIR  directory holding the CSV data sets
#                (default: ../../datasets relative to this script)
#   OUTPUT_CSV   output file (default: lme4_boundary.csv next to this script)
#
# Output columns: case,kind,group,term,estimate,std_error, as in lme4_reference.csv
# (see README.md in this directory). Also written: theta, lme4's relative covariance
# factor (kind "theta", term its position), the start of any optimiser.

suppressPackageStartupMessages(library(lme4))
options(digits = 15)

script_dir <- local({
  a <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
  if (length(a)) dirname(normalizePath(sub("^--file=", "", a[1]))) else getwd()
})
source(file.path(script_dir, "lme4_names.R"))  # fixef_term(), ranef_term()
args <- commandArgs(trailingOnly = TRUE)
data_dir <- if (length(args) >= 1) args[1] else file.path(script_dir, "..", "..", "datasets")
out_csv  <- if (length(args) >= 2) args[2] else file.path(script_dir, "lme4_boundary.csv")

# Character columns become factors with alphabetical levels, as hiermodels orders them
# (ScotsSec's sex: baseline "F"); group labels that hold numbers are factors too.
read_data <- function(name, factor_cols) {
  d <- read.csv(file.path(data_dir, paste0(name, ".csv")), stringsAsFactors = FALSE)
  for (v in factor_cols) d[[v]] <- factor(d[[v]])
  for (v in names(d)) if (is.character(d[[v]])) d[[v]] <- factor(d[[v]])
  d
}

# "factor(social)20" -> "C(social)[T.20]" (the formula writes C(social) in hiermodels)
term_name <- function(nm, data) {
  nm <- gsub("factor\\(([A-Za-z_.]+)\\)([^:]+)", "C(\\1)[T.\\2]", nm)
  fixef_term(nm, data)
}

rows <- list()
notes <- character(0)
add <- function(case, kind, group, term, estimate, std_error = NA_real_) {
  rows[[length(rows) + 1]] <<- data.frame(
    case = case, kind = kind, group = group, term = term,
    estimate = as.numeric(estimate), std_error = as.numeric(std_error),
    stringsAsFactors = FALSE)
}

run_case <- function(case, data, formula, reml) {
  msgs <- character(0)
  fit <- withCallingHandlers(lmer(formula, data = data, REML = reml),
    warning = function(w) { msgs <<- c(msgs, conditionMessage(w)); invokeRestart("muffleWarning") },
    message = function(m) { msgs <<- c(msgs, trimws(conditionMessage(m))); invokeRestart("muffleMessage") })
  msgs <- unique(c(msgs, fit@optinfo$conv$lme4$messages))
  if (isSingular(fit)) msgs <- c(msgs, "isSingular(fit) == TRUE")
  if (length(msgs)) notes <<- c(notes, paste0(case, ": ", msgs))

  cs <- coef(summary(fit))
  for (i in seq_len(nrow(cs)))
    add(case, "fixef", "", term_name(rownames(cs)[i], data), cs[i, "Estimate"], cs[i, "Std. Error"])
  vc <- as.data.frame(VarCorr(fit))
  vc$grp <- sub("\\.[0-9]+$", "", vc$grp)  # (x || g) splits g into g and g.1
  for (i in seq_len(nrow(vc))) {
    if (vc$grp[i] == "Residual") next
    if (is.na(vc$var2[i])) {
      add(case, "sd", vc$grp[i], ranef_term(vc$var1[i]), vc$sdcor[i])
    } else {
      add(case, "cor", vc$grp[i],
          paste(ranef_term(vc$var1[i]), ranef_term(vc$var2[i]), sep = ":"), vc$sdcor[i])
    }
  }
  add(case, "sigma", "Residual", "", sigma(fit))
  theta <- getME(fit, "theta")
  for (i in seq_along(theta)) add(case, "theta", "", names(theta)[i], theta[i])
  ll <- logLik(fit)
  add(case, "loglik", "", "", as.numeric(ll))
  add(case, "aic", "", "", AIC(fit))
  add(case, "bic", "", "", BIC(fit))
  if (reml) {
    add(case, "reml_criterion", "", "REML", REMLcrit(fit))
  } else {
    add(case, "reml_criterion", "", "-2logLik", -2 * as.numeric(ll))
  }
  invisible(fit)
}

ScotsSec <- read_data("ScotsSec", c("primary", "second"))
Hsb82    <- read_data("Hsb82", "school")

scots <- attain ~ verbal + sex + factor(social) + (1 | primary) + (1 | second)
run_case("scotssec", ScotsSec, scots, reml = TRUE)
run_case("scotssec_ml", ScotsSec, scots, reml = FALSE)
sector <- mAch ~ cses * sector + meanses + (cses | school)
run_case("hsb82_sector", Hsb82, sector, reml = TRUE)
run_case("hsb82_sector_ml", Hsb82, sector, reml = FALSE)
# notebooks/06_model_comparison.ipynb: the correlated model and the cross-level one
run_case("hsb82_correlated_ml", Hsb82, mAch ~ cses + (1 + cses | school), reml = FALSE)
run_case("hsb82_cross_level_ml", Hsb82,
         mAch ~ cses * (meanses + sector) + (1 + cses | school), reml = FALSE)
# notebooks/11_random_slopes_step_by_step.ipynb: the homework lesson's sequence by REML
# (issue #19, point 4: the random slope without a random intercept, (0 + cses | school))
run_case("hsb82_seq_intercepts", Hsb82, mAch ~ cses + (1 | school), reml = TRUE)
run_case("hsb82_seq_correlated", Hsb82, mAch ~ cses + (1 + cses | school), reml = TRUE)
run_case("hsb82_seq_slope_only", Hsb82, mAch ~ cses + (0 + cses | school), reml = TRUE)
run_case("hsb82_seq_uncorrelated", Hsb82, mAch ~ cses + (1 + cses || school), reml = TRUE)
run_case("hsb82_seq_cross_level", Hsb82,
         mAch ~ cses * (meanses + sector) + (1 + cses | school), reml = TRUE)

out <- do.call(rbind, rows)
write.csv(out, out_csv, row.names = FALSE, na = "")
cat("wrote", nrow(out), "rows to", out_csv, "\n")
cat("R", as.character(getRversion()), "lme4", as.character(packageVersion("lme4")),
    "Matrix", as.character(packageVersion("Matrix")), "\n")
if (length(notes)) cat("Notes:\n", paste0("  ", notes, "\n"), sep = "")
