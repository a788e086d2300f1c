# Censored gaussian regression without groups: survival::survreg reference (issue #15).
# Run: cd tests/reference && Rscript censored_survreg.R
# Simulates censored_gaussian.csv (fixed seed) and writes the maximum-likelihood fit of
# survreg(dist = "gaussian") to censored_survreg.csv. Censoring codes are brms's:
# -1 left (Y <= y), 0 none, 1 right (Y > y), 2 interval (y < Y <= y2).
library(survival)
set.seed(15)
n <- 150
x <- rnorm(n)
latent <- 1 + 0.8 * x + rnorm(n, sd = 1.5)
y <- latent
y2 <- latent
cens <- rep(0L, n)
low <- latent < -0.5                    # detection limit: left-censored at -0.5
y[low] <- -0.5; y2[low] <- -0.5; cens[low] <- -1L
high <- latent > 3                      # right-censored at 3
y[high] <- 3; y2[high] <- 3; cens[high] <- 1L
mid <- !low & !high & runif(n) < 0.3    # rounded down to the unit interval
y[mid] <- floor(latent[mid]); y2[mid] <- floor(latent[mid]) + 1; cens[mid] <- 2L
data <- data.frame(y = round(y, 6), y2 = round(y2, 6), x = round(x, 6), cens = cens)
write.csv(data, "censored_gaussian.csv", row.names = FALSE)
lo <- ifelse(data$cens == -1, NA, data$y)
hi <- ifelse(data$cens == 1, NA, ifelse(data$cens == 2, data$y2, data$y))
fit <- survreg(Surv(lo, hi, type = "interval2") ~ x, data = data, dist = "gaussian")
out <- data.frame(
  term = c("Intercept", "x", "sigma"),
  estimate = c(coef(fit), fit$scale),
  std_error = c(sqrt(diag(vcov(fit)))[1:2], fit$scale * sqrt(vcov(fit)[3, 3]))
)
write.csv(out, "censored_survreg.csv", row.names = FALSE)
print(table(data$cens))
print(out)
print(R.version.string)
print(packageVersion("survival"))
