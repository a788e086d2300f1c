# Cumulative logit mixed model of the wine data, fitted by ordinal::clmm (Laplace ML).
# Reference for tests/families/test_cumulative.py (issue 15): thresholds, coefficients
# and the judge SD of rating ~ temp + contact + (1 | judge) (Christensen 2019, the
# ordinal package's "clmm" tutorial; data of Randall 1989).
#
# Run from this folder: Rscript clmm_wine.R [datasets-dir]; writes clmm_wine.csv.
# With the argument "export" it first writes ../../datasets/wine.csv from ordinal::wine.
suppressMessages(library(ordinal))
args <- commandArgs(trailingOnly = TRUE)
data_dir <- "../../datasets"
if (length(args) && args[1] == "export") {
  write.csv(ordinal::wine, file.path(data_dir, "wine.csv"), row.names = FALSE)
} else if (length(args)) {
  data_dir <- args[1]
}
d <- read.csv(file.path(data_dir, "wine.csv"))
d$rating <- factor(d$rating, levels = 1:5, ordered = TRUE)
d$judge <- factor(d$judge)
d$temp <- factor(d$temp, levels = c("cold", "warm"))
d$contact <- factor(d$contact, levels = c("no", "yes"))

fit <- clmm(rating ~ temp + contact + (1 | judge), data = d, link = "logit",
            nAGQ = 10)
s <- summary(fit)
co <- coef(s)
# hiermodels names: thresholds Intercept[1]..Intercept[4] (ordinal: 1|2 .. 4|5),
# coefficients as hiermodels names them (tempwarm -> temp[warm]).
names_map <- c("1|2" = "Intercept[1]", "2|3" = "Intercept[2]", "3|4" = "Intercept[3]",
               "4|5" = "Intercept[4]", "tempwarm" = "temp[warm]",
               "contactyes" = "contact[yes]")
out <- data.frame(
  kind = ifelse(grepl("\\|", rownames(co)), "threshold", "fixef"),
  group = "",
  term = unname(names_map[rownames(co)]),
  estimate = co[, "Estimate"],
  std_error = co[, "Std. Error"]
)
out <- rbind(out, data.frame(kind = "sd", group = "judge", term = "Intercept",
                             estimate = sqrt(as.numeric(VarCorr(fit)$judge)),
                             std_error = NA))
out <- rbind(out, data.frame(kind = "loglik", group = "", term = "logLik",
                             estimate = as.numeric(logLik(fit)), std_error = NA))
print(s)
print(out, row.names = FALSE)
write.csv(out, "clmm_wine.csv", row.names = FALSE, na = "")
