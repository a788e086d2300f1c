# Names shared by the R scripts that write reference values: lme4/nlme term names
# -> hiermodels (formulaic) names. Sourced by tests/reference/lme4_reference.R and
# notebooks/reference/reference_fits.R.

# lme4 fixed-effect names -> formulaic style ("sexM" -> "sex[T.M]")
fixef_term <- function(nm, data) {
  if (nm == "(Intercept)") return("Intercept")
  parts <- strsplit(nm, ":", fixed = TRUE)[[1]]
  parts <- vapply(parts, function(p) {
    for (v in names(data)) {
      if (is.factor(data[[v]]) && startsWith(p, v)) {
        lev <- substring(p, nchar(v) + 1)
        if (lev %in% levels(data[[v]])) return(sprintf("%s[T.%s]", v, lev))
      }
    }
    p
  }, character(1))
  paste(parts, collapse = ":")
}

# lme4 random-effect term names -> hiermodels term names
ranef_term <- function(x) ifelse(x == "(Intercept)", "Intercept", x)
