// Package gp is Gaussian process regression over a precomputed kernel matrix,
// the surrogate model of the Bayesian optimisation in section 3 of the paper.
//
// The package knows nothing of architectures: the caller computes the
// train-train kernel matrix K (n x n, symmetric, positive semidefinite) and,
// for each candidate x*, the cross-kernel vector k(x*, X) and the prior
// variance k(x*, x*). Fit normalises the targets (zero mean, unit standard
// deviation), adds the noise variance to the diagonal of K, factorises it by
// Cholesky and precomputes K^-1 y, so that Predict costs O(n) for the mean
// and O(n^2) for the standard deviation of one candidate.
//
// The fit is robust by design: identical kernel rows (duplicate
// architectures) and constant targets never make it fail, and every
// observation passed in is kept and used; nothing is deduplicated or
// dropped. Should K still not be positive definite after the noise is added
// (an invalid kernel, or rounding on a nearly singular one), a jitter that
// grows tenfold per try is added to the diagonal, up to Config.MaxJitterTries
// tries, after which Fit returns an error wrapping ErrNotPositiveDefinite.
//
// A Model is immutable after Fit and safe for concurrent use by several
// goroutines.
package gp
