package gp

import (
	"fmt"
	"log/slog"
	"math"

	"gonum.org/v1/gonum/mat"
)

// DefaultNoise is the noise variance used when Config.Noise is zero, relative
// to the mean of the kernel's diagonal and in normalised target units: 1e-6
// makes a fit interpolate the targets to about one part in a thousand of their
// standard deviation, while keeping K + noise*I comfortably factorisable when
// rows repeat (its condition number is then at most about n/1e-6).
const DefaultNoise = 1e-6

// DefaultMaxJitterTries is the number of jitter tries used when
// Config.MaxJitterTries is zero. With the default noise the largest jitter
// tried is 0.1 times the mean diagonal, beyond which a kernel is too far from
// positive semidefinite for the model to mean anything.
const DefaultMaxJitterTries = 6

// minJitter is the smallest first jitter, relative to the mean diagonal: below
// about 1e-9 a jitter is lost to rounding on a unit-diagonal kernel of a few
// hundred rows.
const minJitter = 1e-9

// symTol is how far K[i][j] and K[j][i] may differ, relative to the mean
// diagonal, before Fit calls the kernel not symmetric.
const symTol = 1e-9

// stdFloor is the relative spread below which targets count as constant: the
// normalising standard deviation is then 1 (one target unit).
const stdFloor = 1e-12

// Config holds the settings of Fit. The zero value means every default.
type Config struct {
	// Noise is the observation noise variance added to the diagonal of K,
	// relative to the mean of K's diagonal (so absolute for a kernel whose
	// diagonal is 1) and in units of the normalised targets. Zero means
	// DefaultNoise (1e-6); negative, NaN or infinite is an error.
	Noise float64

	// MaxJitterTries bounds the extra factorisations tried when K plus noise
	// is not positive definite. The first jitter equals the noise (at least
	// 1e-9 times the mean diagonal) and each try multiplies it by 10. Zero
	// means DefaultMaxJitterTries (6); negative is an error.
	MaxJitterTries int

	// Logger receives a warning when jitter was needed. Nil discards.
	Logger *slog.Logger
}

// Model is a fitted Gaussian process. It is immutable and safe for concurrent
// use.
type Model struct {
	n      int
	l      []float64 // Cholesky factor of K + (noise+jitter) I, row-major lower
	alpha  []float64 // (K + (noise+jitter) I)^-1 (y - mean)/std
	yMean  float64   // mean of the targets
	yStd   float64   // standard deviation of the targets, 1 if they are constant
	noise  float64   // absolute noise variance added to the diagonal
	jitter float64   // absolute jitter added on top of the noise, 0 if none
	logML  float64   // log marginal likelihood of the normalised targets
}

// Fit fits a Gaussian process to the observations y given their kernel
// matrix k (n x n, symmetric: k[i][j] = kappa(x_i, x_j)). Every one of the n
// observations is used, duplicates included. Fit copies what it needs and
// keeps no reference to k or y. Cost O(n^3/3) for the factorisation, repeated
// once per jitter try.
//
// Errors wrap ErrInput for malformed input (naming the offending row, entry
// or target) and ErrNotPositiveDefinite when no jitter tried makes K
// factorisable.
func Fit(k [][]float64, y []float64, cfg Config) (*Model, error) {
	n := len(k)
	flat := make([]float64, n*n)
	for i, row := range k {
		if len(row) != n {
			return nil, &inputError{fmt.Sprintf("kernel row %d has %d entries, want %d (kernel must be square)", i, len(row), n)}
		}
		copy(flat[i*n:], row)
	}
	return fit(flat, n, y, cfg)
}

// FitSym is Fit for a kernel held as a gonum symmetric matrix; only the
// symmetric part that k exposes is read.
func FitSym(k mat.Symmetric, y []float64, cfg Config) (*Model, error) {
	n := k.SymmetricDim()
	flat := make([]float64, n*n)
	for i := range n {
		for j := range n {
			flat[i*n+j] = k.At(i, j)
		}
	}
	return fit(flat, n, y, cfg)
}

// fit does the work of Fit on a row-major copy a of the kernel, which it
// overwrites.
func fit(a []float64, n int, y []float64, cfg Config) (*Model, error) {
	// Check the settings and the input.
	noise, tries, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, &inputError{"no observations (empty kernel matrix)"}
	}
	if len(y) != n {
		return nil, &inputError{fmt.Sprintf("%d targets for a %dx%d kernel matrix", len(y), n, n)}
	}
	for i, v := range y {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, &inputError{fmt.Sprintf("target %d is %v", i, v)}
		}
	}
	for i := range n {
		for j := range n {
			if v := a[i*n+j]; math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, &inputError{fmt.Sprintf("kernel entry (%d,%d) is %v", i, j, v)}
			}
		}
	}
	scale := 0.0
	for i := range n {
		scale += a[i*n+i]
	}
	scale /= float64(n)
	if !(scale > 0) {
		// An all-zero (or nonsense) diagonal: measure noise in absolute units.
		scale = 1
	}
	for i := range n {
		for j := range i {
			if d := math.Abs(a[i*n+j] - a[j*n+i]); d > symTol*scale {
				return nil, &inputError{fmt.Sprintf("kernel not symmetric: entries (%d,%d)=%v and (%d,%d)=%v differ", i, j, a[i*n+j], j, i, a[j*n+i])}
			}
		}
	}

	// Normalise the targets.
	m := &Model{n: n, noise: noise * scale}
	for _, v := range y {
		m.yMean += v
	}
	m.yMean /= float64(n)
	ss := 0.0
	for _, v := range y {
		ss += (v - m.yMean) * (v - m.yMean)
	}
	m.yStd = math.Sqrt(ss / float64(n))
	if m.yStd <= stdFloor*math.Max(1, math.Abs(m.yMean)) {
		m.yStd = 1
	}

	// Factorise K + (noise + jitter) I, growing the jitter until it works.
	diag := make([]float64, n)
	for i := range n {
		diag[i] = a[i*n+i]
	}
	m.l = make([]float64, n*n)
	first := math.Max(noise, minJitter) * scale
	for try := 0; ; try++ {
		if try > 0 {
			m.jitter = first * math.Pow(10, float64(try-1))
		}
		for i := range n {
			a[i*n+i] = diag[i] + m.noise + m.jitter
		}
		if cholesky(a, m.l, n) {
			break
		}
		if try == tries {
			return nil, fmt.Errorf("%w: factorisation failed with noise %g and %d jitter tries up to %g (mean diagonal %g)",
				ErrNotPositiveDefinite, m.noise, tries, m.jitter, scale)
		}
	}
	if m.jitter > 0 {
		cfg.logger().Warn("gp: jitter added to kernel diagonal",
			"n", n, "noise", m.noise, "jitter", m.jitter)
	}

	// Precompute alpha = (K + sigma^2 I)^-1 y and the log marginal likelihood.
	m.alpha = make([]float64, n)
	for i, v := range y {
		m.alpha[i] = (v - m.yMean) / m.yStd
	}
	fit := 0.0
	forwardSolve(m.l, n, m.alpha)
	for _, v := range m.alpha {
		fit += v * v
	}
	backSolve(m.l, n, m.alpha)
	logDet := 0.0
	for i := range n {
		logDet += math.Log(m.l[i*n+i])
	}
	m.logML = -0.5*fit - logDet - 0.5*float64(n)*math.Log(2*math.Pi)
	return m, nil
}

// Predict returns the posterior mean and standard deviation, in the units of
// the original targets, of the latent function at a point x* given
// kstar[i] = kappa(x*, x_i) for the n training points in the order passed to
// Fit, and kss = kappa(x*, x*) (1 for the edit-distance kernel). The standard
// deviation excludes the observation noise. The variance is clamped at zero,
// so std is never negative or NaN: a NaN kss gives 0, and a NaN in kstar
// shows as a NaN mean. A point whose kernel with every training point is zero
// gets the prior: the target mean, and sqrt(kss) times the target standard
// deviation (1 target unit when the targets are constant). Cost O(n) for the
// mean and O(n^2) for the deviation, with one allocation of n floats. It
// panics if len(kstar) != N().
func (m *Model) Predict(kstar []float64, kss float64) (mean, std float64) {
	if len(kstar) != m.n {
		panic(fmt.Sprintf("gp: Predict got %d kernel values for a model of %d observations", len(kstar), m.n))
	}
	mu := 0.0
	for i, v := range kstar {
		mu += v * m.alpha[i]
	}
	v := make([]float64, m.n)
	copy(v, kstar)
	forwardSolve(m.l, m.n, v)
	variance := kss
	for _, x := range v {
		variance -= x * x
	}
	if !(variance > 0) { // also catches NaN
		variance = 0
	}
	return m.yMean + m.yStd*mu, m.yStd * math.Sqrt(variance)
}

// N returns the number of observations in the model: every one passed to
// Fit, duplicates included.
func (m *Model) N() int { return m.n }

// Noise returns the absolute noise variance added to the kernel's diagonal
// (Config.Noise times the mean diagonal), in normalised target units.
func (m *Model) Noise() float64 { return m.noise }

// Jitter returns the absolute jitter added to the kernel's diagonal on top of
// the noise, 0 when the first factorisation succeeded.
func (m *Model) Jitter() float64 { return m.jitter }

// LogMarginalLikelihood returns log p(y | K) of the normalised targets under
// K plus noise and jitter: -y'(K+s I)^-1 y/2 - log|K+s I|/2 - n log(2 pi)/2.
// For the targets in their original units subtract n*log(std of y).
func (m *Model) LogMarginalLikelihood() float64 { return m.logML }

// resolve returns the noise and the number of jitter tries cfg stands for.
func (cfg Config) resolve() (noise float64, tries int, err error) {
	noise, tries = cfg.Noise, cfg.MaxJitterTries
	if math.IsNaN(noise) || math.IsInf(noise, 0) || noise < 0 {
		return 0, 0, &inputError{fmt.Sprintf("config noise %v, want finite and >= 0", noise)}
	}
	if tries < 0 {
		return 0, 0, &inputError{fmt.Sprintf("config max jitter tries %d, want >= 0", tries)}
	}
	if noise == 0 {
		noise = DefaultNoise
	}
	if tries == 0 {
		tries = DefaultMaxJitterTries
	}
	return noise, tries, nil
}

// logger returns cfg.Logger, or a logger that discards when it is nil.
func (cfg Config) logger() *slog.Logger {
	if cfg.Logger != nil {
		return cfg.Logger
	}
	return slog.New(slog.DiscardHandler)
}
