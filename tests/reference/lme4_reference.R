# Reference values from R's lme4 for the hiermodels test suite.
#
# Usage:  Rscript lme4_reference.R [DATASET_DIR] [OUTPUT_CSV]
#   DATASET_DIR  directory holding the CSV data sets
#                (default: ../../datasets relative to this script)
#   OUTPUT_CSV   output file (default: lme4_reference.csv next to this script)
#
# Output columns: case,kind,group,term,estimate,std_error
# See README.md in this directory for the naming conventions.

suppressPackageStartupMessages(library(lme4))
options(digits = 15)

script_dir <- local({
  a <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
  if (length(a)) dirname(normalizePath(sub("^--file=", "", a[1]))) else getwd()
})
source(file.path(script_dir, "lme4_names.R"))  # fixef_term(), ranef_term()
args <- commandArgs(trailingOnly = TRUE)
data_dir <- if (length(args) >= 1) args[1] else file.path(script_dir, "..", "..", "datasets")
out_csv  <- if (length(args) >= 2) args[2] else file.path(script_dir, "lme4_reference.csv")

# Group-label columns that hold numbers are read as factors.
factor_cols <- c("Subject", "school", "herd", "period", "s", "d", "dept",
                 "service", "id", "experiment")

read_data <- function(name) {
  d <- read.csv(file.path(data_dir, paste0(name, ".csv")),
                stringsAsFactors = FALSE)
  for (v in intersect(names(d), factor_cols)) d[[v]] <- factor(d[[v]])
  # remaining character columns (plate, sample, batch, cask, county, ...)
  for (v in names(d)) if (is.character(d[[v]])) d[[v]] <- factor(d[[v]])
  d
}

# ---- name mapping ----------------------------------------------------------

# lme4 group names -> outer:inner order; "school.1" (from ||) -> "school"
group_name <- function(g) {
  g <- sub("\\.[0-9]+$", "", g)
  paste(rev(strsplit(g, ":", fixed = TRUE)[[1]]), collapse = ":")
}

# ---- fitting ---------------------------------------------------------------

rows <- list()
notes <- character(0)
add <- function(case, kind, group, term, estimate, std_error = NA_real_) {
  rows[[length(rows) + 1]] <<- data.frame(
    case = case, kind = kind, group = group, term = term,
    estimate = as.numeric(estimate), std_error = as.numeric(std_error),
    stringsAsFactors = FALSE)
}

run_case <- function(case, data, fit_expr) {
  warns <- character(0)
  msgs <- character(0)
  tm <- system.time(
    fit <- withCallingHandlers(eval(fit_expr),
      warning = function(w) { warns <<- c(warns, conditionMessage(w)); invokeRestart("muffleWarning") },
      message = function(m) { msgs <<- c(msgs, trimws(conditionMessage(m))); invokeRestart("muffleMessage") })
  )
  conv <- fit@optinfo$conv$lme4$messages
  all_msgs <- unique(c(warns, msgs, conv))
  if (isSingular(fit)) all_msgs <- unique(c(all_msgs, "isSingular(fit) == TRUE"))
  if (length(all_msgs)) {
    notes <<- c(notes, paste0(case, ": ", all_msgs))
    message(case, ": ", paste(all_msgs, collapse = " | "))
  }

  # fixed effects
  cs <- coef(summary(fit))
  for (i in seq_len(nrow(cs)))
    add(case, "fixef", "", fixef_term(rownames(cs)[i], data),
        cs[i, "Estimate"], cs[i, "Std. Error"])

  # random effects
  vc <- as.data.frame(VarCorr(fit))
  for (i in seq_len(nrow(vc))) {
    g <- vc$grp[i]
    if (g == "Residual") next
    if (is.na(vc$var2[i])) {
      add(case, "sd", group_name(g), ranef_term(vc$var1[i]), vc$sdcor[i])
    } else {
      add(case, "cor", group_name(g),
          paste(ranef_term(vc$var1[i]), ranef_term(vc$var2[i]), sep = ":"),
          vc$sdcor[i])
    }
  }
  if (isLMM(fit)) add(case, "sigma", "Residual", "", sigma(fit))

  ll <- logLik(fit)
  add(case, "loglik", "", "", as.numeric(ll))
  add(case, "aic", "", "", AIC(fit))
  add(case, "bic", "", "", BIC(fit))
  if (isREML(fit)) {
    add(case, "reml_criterion", "", "REML", REMLcrit(fit))
  } else {
    add(case, "reml_criterion", "", "-2logLik", -2 * as.numeric(ll))
  }
  add(case, "df_resid", "", "", df.residual(fit))
  add(case, "time_seconds", "", "", round(tm[["elapsed"]], 3))
  invisible(fit)
}

sleepstudy <- read_data("sleepstudy")
Oxboys     <- read_data("Oxboys")
Penicillin <- read_data("Penicillin")
Pastes     <- read_data("Pastes")
Hsb82      <- read_data("Hsb82")
gcse       <- read_data("gcse")
radon      <- read_data("radon")
alcohol    <- read_data("alcohol1_pp")
cbpp       <- read_data("cbpp")
tumors     <- read_data("tumors")
tumors$experiment <- factor(seq_len(nrow(tumors)))
bball      <- read_data("bball1970")

run_case("sleepstudy", sleepstudy,
  quote(lmer(Reaction ~ Days + (Days | Subject), data = sleepstudy, REML = TRUE)))
run_case("sleepstudy_ml", sleepstudy,
  quote(lmer(Reaction ~ Days + (Days | Subject), data = sleepstudy, REML = FALSE)))
run_case("oxboys", Oxboys,
  quote(lmer(height ~ age + (age | Subject), data = Oxboys, REML = TRUE)))
run_case("oxboys_ml", Oxboys,
  quote(lmer(height ~ age + (age | Subject), data = Oxboys, REML = FALSE)))
run_case("penicillin", Penicillin,
  quote(lmer(diameter ~ 1 + (1 | plate) + (1 | sample), data = Penicillin, REML = TRUE)))
run_case("pastes", Pastes,
  quote(lmer(strength ~ 1 + (1 | batch/cask), data = Pastes, REML = TRUE)))
run_case("hsb82", Hsb82,
  quote(lmer(mAch ~ meanses + cses + (1 + cses | school), data = Hsb82, REML = TRUE)))
run_case("hsb82_ml", Hsb82,
  quote(lmer(mAch ~ meanses + cses + (1 + cses | school), data = Hsb82, REML = FALSE)))
run_case("hsb82_uncorrelated", Hsb82,
  quote(lmer(mAch ~ meanses + cses + (1 + cses || school), data = Hsb82, REML = TRUE)))
fit_gcse <- run_case("gcse", gcse,
  quote(lmer(gcse ~ lrt + (1 | school), data = gcse, REML = TRUE)))
local({
  s2 <- as.data.frame(VarCorr(fit_gcse))
  v_school <- s2$vcov[s2$grp == "school"]
  add("gcse", "icc", "school", "school", v_school / (v_school + sigma(fit_gcse)^2))
})
run_case("radon", radon,
  quote(lmer(log_radon ~ floor + (1 | county), data = radon, REML = TRUE)))
run_case("alcohol", alcohol,
  quote(lmer(alcuse ~ age_14 * coa + (age_14 | id), data = alcohol, REML = FALSE)))
run_case("alcohol_reml", alcohol,
  quote(lmer(alcuse ~ age_14 * coa + (age_14 | id), data = alcohol, REML = TRUE)))
# Singer & Willett (2003), model F: peer alcohol use centred on its sample mean
run_case("alcohol_peer", alcohol,
  quote(lmer(alcuse ~ coa + cpeer * age_14 + (age_14 | id), data = alcohol, REML = TRUE)))
run_case("cbpp", cbpp,
  quote(glmer(cbind(incidence, size - incidence) ~ period + (1 | herd),
              data = cbpp, family = binomial)))
run_case("tumors", tumors,
  quote(glmer(cbind(y, K - y) ~ 1 + (1 | experiment), data = tumors, family = binomial)))
# Efron & Morris (1975): 45 early-season at-bats per player, and the rest of the season
run_case("bball1970", bball,
  quote(glmer(cbind(Hits, AB - Hits) ~ 1 + (1 | Player), data = bball, family = binomial)))
run_case("bball1970_remaining", bball,
  quote(glmer(cbind(RemainingHits, RemainingAB - RemainingHits) ~ 1 + (1 | Player),
              data = bball, family = binomial)))

out <- do.call(rbind, rows)
write.csv(out, out_csv, row.names = FALSE, na = "")
cat("wrote", nrow(out), "rows to", out_csv, "\n")
cat("R", as.character(getRversion()), "lme4", as.character(packageVersion("lme4")),
    "Matrix", as.character(packageVersion("Matrix")), "\n")
if (length(notes)) cat("Notes:\n", paste0("  ", notes, "\n"), sep = "")
