# One fresh-process lmer REML fit of InstEval, for benchmarks/insteval_vs_lmer.py.
# Usage (repository root): Rscript benchmarks/lme4/insteval_once.R
# Prints one line "LMER {json}": seconds from the script's start to the loaded package,
# the read data and the fitted model, and the fit's own seconds. The data are the shipped
# CSV, read with the types of insteval_time.R (s, d, dept, service as factors).
start <- proc.time()[["elapsed"]]
suppressPackageStartupMessages(library(lme4))
loaded <- proc.time()[["elapsed"]]
d <- read.csv("datasets/InstEval.csv")
for (col in c("s", "d", "dept", "service")) d[[col]] <- factor(d[[col]])
read <- proc.time()[["elapsed"]]
fit <- lmer(y ~ service + (1 | s) + (1 | d) + (1 | dept:service), data = d, REML = TRUE)
done <- proc.time()[["elapsed"]]
vc <- as.data.frame(VarCorr(fit))
cat(sprintf(paste0(
  'LMER {"library_s": %.3f, "read_s": %.3f, "fit_s": %.3f, "script_s": %.3f, ',
  '"lme4": "%s", "sd": {%s}}\n'),
  loaded - start, read - loaded, done - read, done - start,
  as.character(packageVersion("lme4")),
  paste(sprintf('"%s": %.5f', vc$grp, vc$sdcor), collapse = ", ")))
