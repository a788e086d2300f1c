# Time lme4's REML fit of InstEval on this machine, for docs/performance.md.
# Usage (repository root): Rscript benchmarks/lme4/insteval_time.R
# Writes benchmarks/lme4/insteval_time.json. The data are the shipped CSV, read
# with the same types hiermodels uses (s, d, dept as factors; service 0/1 as factor).
suppressPackageStartupMessages(library(lme4))
d <- read.csv("datasets/InstEval.csv")
for (col in c("s", "d", "dept", "service")) d[[col]] <- factor(d[[col]])
formula <- y ~ service + (1 | s) + (1 | d) + (1 | dept:service)
times <- numeric(0)
for (i in 1:3) {
  start <- proc.time()[["elapsed"]]
  fit <- lmer(formula, data = d, REML = TRUE)
  times <- c(times, proc.time()[["elapsed"]] - start)
}
vc <- as.data.frame(VarCorr(fit))
json <- sprintf(paste0(
  '{"rows": %d, "seconds": [%s], "median_seconds": %.2f, "lme4": "%s", "R": "%s", ',
  '"fixef": {%s}, "sd": {%s}}\n'),
  nrow(d), paste(sprintf("%.2f", times), collapse = ", "), median(times),
  as.character(packageVersion("lme4")), paste(R.version$major, R.version$minor, sep = "."),
  paste(sprintf('"%s": %.5f', names(fixef(fit)), fixef(fit)), collapse = ", "),
  paste(sprintf('"%s": %.5f', vc$grp, vc$sdcor), collapse = ", "))
cat(json)
writeLines(json, "benchmarks/lme4/insteval_time.json", sep = "")
