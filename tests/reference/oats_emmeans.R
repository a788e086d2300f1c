# emmeans reference for fit.marginal_means / comparisons / slopes (issue #17).
# Yates' oats split-plot trial (nlme `Oats`): yield ~ Variety + nitro with plots (Variety
# within Block) nested in blocks, fitted by lme4 (REML), then emmeans' marginal means of
# Variety (nitro at its mean, 0.3), their pairwise contrasts and the nitro trend.
#
# Run from this folder: Rscript oats_emmeans.R [datasets-dir]
# With a datasets-dir argument it also (re)writes <datasets-dir>/oats.csv from nlme.
# Writes oats_emmeans.csv: kind, term, estimate, std_error.
suppressMessages({library(lme4); library(emmeans); library(nlme)})
args <- commandArgs(trailingOnly = TRUE)
if (length(args)) {
  d <- as.data.frame(nlme::Oats)
  d$Block <- as.character(d$Block)
  d$Variety <- as.character(d$Variety)
  write.csv(d[, c("Block", "Variety", "nitro", "yield")], file.path(args[1], "oats.csv"),
            row.names = FALSE)
}
data_dir <- if (length(args)) args[1] else "../../datasets"
d <- read.csv(file.path(data_dir, "oats.csv"))
d$Block <- factor(d$Block)
d$Variety <- factor(d$Variety)
fit <- lmer(yield ~ Variety + nitro + (1 | Block/Variety), d, REML = TRUE)
emm <- emmeans(fit, ~ Variety)
means <- as.data.frame(emm)
pairs_df <- as.data.frame(pairs(emm))
trend <- as.data.frame(emtrends(fit, ~ 1, var = "nitro"))
at_nitro <- as.data.frame(emmeans(fit, ~ Variety, at = list(nitro = 0.6)))
out <- rbind(
  data.frame(kind = "emmean", term = as.character(means$Variety), estimate = means$emmean,
             std_error = means$SE),
  data.frame(kind = "emmean_nitro0.6", term = as.character(at_nitro$Variety),
             estimate = at_nitro$emmean, std_error = at_nitro$SE),
  data.frame(kind = "pairwise", term = as.character(pairs_df$contrast),
             estimate = pairs_df$estimate, std_error = pairs_df$SE),
  data.frame(kind = "trend", term = "nitro", estimate = trend$nitro.trend,
             std_error = trend$SE)
)
print(out, digits = 10)
print(VarCorr(fit))
write.csv(out, "oats_emmeans.csv", row.names = FALSE)
