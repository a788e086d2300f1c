# emmeans reference for the weights of fit.marginal_means (issue #17): the linear
# functions of the fixed effects that emmeans averages, with equal and proportional
# weights, on an unbalanced design with an interaction. High School and Beyond (Hsb82,
# 7185 pupils in 160 schools): mAch ~ minrty * sector + sx + ses + (1 | school).
# The rows of emmeans' linfct depend on the fixed design and the data's frequencies only
# (not on the estimates), so a test can apply them to any draws of the coefficients.
#
# Run from this folder: Rscript hsb82_emmeans_weights.R
# Writes hsb82_emmeans_weights.csv: kind, term, then one column per coefficient (R names).
suppressMessages({library(lme4); library(emmeans)})
d <- read.csv("../../datasets/Hsb82.csv")
for (f in c("minrty", "sector", "sx", "school")) d[[f]] <- factor(d[[f]])
fit <- lmer(mAch ~ minrty * sector + sx + ses + (1 | school), d, REML = TRUE)
rows <- function(emm, kind, term) {
  out <- as.data.frame(emm@linfct)
  cbind(data.frame(kind = kind, term = term), out)
}
terms <- function(emm) {
  grid <- as.data.frame(emm@grid)
  grid <- grid[, setdiff(names(grid), ".wgt."), drop = FALSE]
  apply(grid, 1, function(r) paste(trimws(r), collapse = " | "))
}
out <- NULL
for (w in c("equal", "proportional")) {
  emm <- emmeans(fit, ~ sector, weights = w)
  out <- rbind(out, rows(emm, w, terms(emm)))
  by_sx <- emmeans(fit, ~ sector | sx, weights = w)
  out <- rbind(out, rows(by_sx, paste0(w, "_by_sx"), terms(by_sx)))
  pr <- pairs(emm)
  out <- rbind(out, rows(pr, paste0(w, "_pairs"), as.character(as.data.frame(pr)$contrast)))
}
print(out, digits = 10)
write.csv(out, "hsb82_emmeans_weights.csv", row.names = FALSE)
