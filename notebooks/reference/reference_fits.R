# nlme and lme4 reference values for the hiermodels notebooks.
#
# Usage (from the repository root or anywhere):
#   Rscript notebooks/reference/reference_fits.R [DATASET_DIR] [OUTPUT_CSV]
#   DATASET_DIR  directory holding the data set CSVs (default: ../../datasets relative
#                to this script)
#   OUTPUT_CSV   default: reference_fits.csv next to this script
#
# Fits that tests/reference/lme4_reference.csv already holds (lme4: radon, oxboys,
# alcohol = Singer & Willett's model C, penicillin, pastes, hsb82, cbpp, tumors) are not
# repeated here; the notebooks read them from that file. This script adds the nlme fits of
# the growth-curve models, the other Singer & Willett (2003, ch. 4) models, InstEval (all
# students, and the subsets of students 1-150 and 1-300 that notebook 03 can use), the
# batting glmer and the Hsb82 candidate structures fitted by ML.
#
# Output columns: case,package,method,kind,group,term,estimate,std_error
#   kind: fixef (with std_error), sd, cor, sigma, loglik, aic, bic, n_obs
#   names follow tests/reference/README.md: "(Intercept)" is "Intercept", factor levels are
#   written formulaic-style ("service[T.1]"), cor terms as "Intercept:age".

suppressPackageStartupMessages({
  library(lme4)
  library(nlme)
})
options(digits = 15)

script_dir <- local({
  a <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
  if (length(a)) dirname(normalizePath(sub("^--file=", "", a[1]))) else getwd()
})
source(file.path(script_dir, "..", "..", "tests", "reference", "lme4_names.R"))  # fixef_term(), ranef_term()
args <- commandArgs(trailingOnly = TRUE)
data_dir <- if (length(args) >= 1) args[1] else file.path(script_dir, "..", "..", "datasets")
out_csv  <- if (length(args) >= 2) args[2] else file.path(script_dir, "reference_fits.csv")

# Group-label columns that hold numbers are read as factors.
factor_cols <- c("Subject", "school", "s", "d", "dept", "service", "id", "Player")
read_data <- function(name) {
  d <- read.csv(file.path(data_dir, paste0(name, ".csv")), stringsAsFactors = FALSE)
  for (v in intersect(names(d), factor_cols)) d[[v]] <- factor(d[[v]])
  for (v in names(d)) if (is.character(d[[v]])) d[[v]] <- factor(d[[v]])
  d
}


rows <- list()
add <- function(case, package, method, kind, group, term, estimate, std_error = NA_real_) {
  rows[[length(rows) + 1]] <<- data.frame(
    case = case, package = package, method = method, kind = kind, group = group,
    term = term, estimate = as.numeric(estimate), std_error = as.numeric(std_error),
    stringsAsFactors = FALSE)
}
notes <- character(0)
quietly <- function(case, expr) {
  withCallingHandlers(expr,
    warning = function(w) {
      notes <<- c(notes, paste0(case, ": ", conditionMessage(w)))
      invokeRestart("muffleWarning")
    })
}
add_fit_stats <- function(case, package, method, fit, n) {
  add(case, package, method, "loglik", "", "", as.numeric(logLik(fit)))
  add(case, package, method, "aic", "", "", AIC(fit))
  add(case, package, method, "bic", "", "", BIC(fit))
  add(case, package, method, "n_obs", "", "", n)
}

run_nlme <- function(case, data, fixed, random, method) {
  fit <- quietly(case, lme(fixed, random = random, data = data, method = method,
                           control = lmeControl(maxIter = 200, msMaxIter = 200)))
  tt <- summary(fit)$tTable
  for (i in seq_len(nrow(tt)))
    add(case, "nlme", method, "fixef", "", fixef_term(rownames(tt)[i], data),
        tt[i, "Value"], tt[i, "Std.Error"])
  group <- names(fit$groups)[1]
  cov <- as.matrix(getVarCov(fit))
  terms <- ranef_term(rownames(cov))
  for (i in seq_along(terms)) add(case, "nlme", method, "sd", group, terms[i], sqrt(cov[i, i]))
  if (length(terms) > 1) {
    cr <- cov2cor(cov)
    for (i in 1:(length(terms) - 1)) for (j in (i + 1):length(terms))
      add(case, "nlme", method, "cor", group, paste(terms[i], terms[j], sep = ":"), cr[i, j])
  }
  add(case, "nlme", method, "sigma", "Residual", "", fit$sigma)
  add_fit_stats(case, "nlme", method, fit, nrow(data))
  invisible(fit)
}

group_name <- function(g) {
  g <- sub("\\.[0-9]+$", "", g)
  paste(rev(strsplit(g, ":", fixed = TRUE)[[1]]), collapse = ":")
}

run_lme4 <- function(case, data, formula, reml = TRUE, family = NULL) {
  method <- if (!is.null(family)) "Laplace" else if (reml) "REML" else "ML"
  t0 <- proc.time()[["elapsed"]]
  fit <- quietly(case, if (is.null(family)) lmer(formula, data = data, REML = reml)
                       else glmer(formula, data = data, family = family))
  elapsed <- proc.time()[["elapsed"]] - t0
  if (isSingular(fit)) notes <<- c(notes, paste0(case, ": singular fit"))
  cs <- coef(summary(fit))
  for (i in seq_len(nrow(cs)))
    add(case, "lme4", method, "fixef", "", fixef_term(rownames(cs)[i], data),
        cs[i, "Estimate"], cs[i, "Std. Error"])
  vc <- as.data.frame(VarCorr(fit))
  for (i in seq_len(nrow(vc))) {
    if (vc$grp[i] == "Residual") next
    if (is.na(vc$var2[i])) {
      add(case, "lme4", method, "sd", group_name(vc$grp[i]), ranef_term(vc$var1[i]), vc$sdcor[i])
    } else {
      add(case, "lme4", method, "cor", group_name(vc$grp[i]),
          paste(ranef_term(vc$var1[i]), ranef_term(vc$var2[i]), sep = ":"), vc$sdcor[i])
    }
  }
  if (isLMM(fit)) add(case, "lme4", method, "sigma", "Residual", "", sigma(fit))
  add_fit_stats(case, "lme4", method, fit, nrow(data))
  add(case, "lme4", method, "time_seconds", "", "", round(elapsed, 3))
  invisible(fit)
}

Oxboys   <- read_data("Oxboys")
alcohol  <- read_data("alcohol1_pp")
InstEval <- read_data("InstEval")
bball    <- read_data("bball1970")
Hsb82    <- read_data("Hsb82")

# Notebook 02: growth curves -------------------------------------------------------
run_nlme("oxboys", Oxboys, height ~ age, ~ age | Subject, "REML")
# Singer & Willett (2003), ch. 4, Table 4.1, fitted by maximum likelihood as in the book
run_nlme("alcohol_A", alcohol, alcuse ~ 1, ~ 1 | id, "ML")
run_nlme("alcohol_B", alcohol, alcuse ~ age_14, ~ age_14 | id, "ML")
run_nlme("alcohol", alcohol, alcuse ~ age_14 * coa, ~ age_14 | id, "ML")
run_lme4("alcohol_A", alcohol, alcuse ~ 1 + (1 | id), reml = FALSE)
run_lme4("alcohol_B", alcohol, alcuse ~ age_14 + (age_14 | id), reml = FALSE)

# Notebook 03: crossed factors -----------------------------------------------------
run_lme4("insteval", InstEval, y ~ service + (1 | s) + (1 | d) + (1 | dept), reml = TRUE)
# the subsets the notebook uses: students 1..n (its INSTEVAL_STUDENTS setting)
for (n in c(150, 300)) {
  sub <- droplevels(InstEval[as.integer(as.character(InstEval$s)) <= n, ])
  run_lme4(paste0("insteval_", n), sub, y ~ service + (1 | s) + (1 | d) + (1 | dept), reml = TRUE)
}

# Notebook 05: batting averages (Efron & Morris) ------------------------------------
run_lme4("bball1970", bball, cbind(Hits, AB - Hits) ~ 1 + (1 | Player), family = binomial)

# Notebook 06: Hsb82 candidate structures, ML so that AIC compares fixed parts too ---
run_lme4("hsb82_intercepts", Hsb82, mAch ~ cses + (1 | school), reml = FALSE)
run_lme4("hsb82_slopes", Hsb82, mAch ~ cses + (1 + cses || school), reml = FALSE)
run_lme4("hsb82_correlated", Hsb82, mAch ~ cses + (1 + cses | school), reml = FALSE)
run_lme4("hsb82_school_predictors", Hsb82,
         mAch ~ cses * (meanses + sector) + (1 + cses | school), reml = FALSE)

out <- do.call(rbind, rows)
write.csv(out, out_csv, row.names = FALSE, na = "")
cat("wrote", nrow(out), "rows to", out_csv, "\n")
cat("R", as.character(getRversion()), "lme4", as.character(packageVersion("lme4")),
    "nlme", as.character(packageVersion("nlme")), "Matrix",
    as.character(packageVersion("Matrix")), "\n")
if (length(notes)) cat("Notes:\n", paste0("  ", unique(notes), "\n"), sep = "")
