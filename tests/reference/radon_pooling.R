# Per-county intercepts of radon under complete, no and partial pooling, from lm and lmer.
# Shows that partial pooling shrinks each county toward the population mean (the lmer
# intercept), not toward the complete-pooling intercept, so the partial estimate lies
# between the no-pooling and complete-pooling ones for only about three quarters of the
# counties: a property of the data, reproduced by lme4.
#
# Run from this folder: Rscript radon_pooling.R [datasets-dir]; writes radon_pooling.csv.
suppressMessages(library(lme4))
args <- commandArgs(trailingOnly = TRUE)
data_dir <- if (length(args)) args[1] else "../../datasets"
d <- read.csv(file.path(data_dir, "radon.csv"))
d$county <- factor(d$county)
counties <- levels(d$county)

complete <- lm(log_radon ~ floor, d)
none <- lm(log_radon ~ 0 + county + floor, d)
partial <- lmer(log_radon ~ floor + (1 | county), d, REML = TRUE)

out <- data.frame(
  county = counties,
  n = as.vector(table(d$county)[counties]),
  none = unname(coef(none)[paste0("county", counties)]),
  partial = coef(partial)$county[counties, "(Intercept)"],
  complete = unname(coef(complete)["(Intercept)"]),
  population = unname(fixef(partial)["(Intercept)"])
)
between <- function(x, a, b) x >= pmin(a, b) & x <= pmax(a, b)
cat(sprintf("between none and complete: %.4f\n", mean(between(out$partial, out$none, out$complete))))
cat(sprintf("between none and population: %.4f\n", mean(between(out$partial, out$none, out$population))))
write.csv(out, "radon_pooling.csv", row.names = FALSE)
