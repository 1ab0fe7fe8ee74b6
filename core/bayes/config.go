package bayes

import (
	"fmt"
	"log/slog"
	"math"

	"github.com/morphnas/morphnas/core/kernel"
)

// The defaults of Config.
const (
	// DefaultBeta is the paper's weight of the standard deviation in the
	// acquisition function (section 5.3).
	DefaultBeta = 2.5

	// DefaultR is the temperature decrease rate r of Algorithm 1. With
	// DefaultTLow it gives ceil(ln(T_low)/ln(r)) = 14 expansions per
	// proposal, each evaluating all of Omega(f) (tens to a few hundred
	// operations), so a few hundred to two thousand candidates. Measured on
	// the synthetic objective of package searchtest (30 evaluations from
	// the paper's initial network, 6 seeds), r = 0.6, 0.75 and 0.85 (14,
	// 25 and 43 expansions) reached the same best cost within noise (0.077,
	// 0.080, 0.082) while generation time grew with the expansions (1.4,
	// 2.4 and 4.5 s of CPU per 30 proposals), so the fastest cooling is the
	// default.
	DefaultR = 0.6

	// DefaultTLow is the temperature T_low at which Algorithm 1 stops. The
	// acceptance test exp((c_min - alpha)/T) > U compares costs (error
	// rates) with T. At T = 1 almost every child is pushed (a child worse
	// by 0.05 passes 95% of the time); near T = 1e-3 a child worse than the
	// best by more than a few tenths of a percentage point is almost never
	// pushed, so cooling further would only repeat a strictly greedy
	// search.
	DefaultTLow = 1e-3
)

// DefaultLengths returns the grid of length scales a fit chooses from when
// Config.Length and Config.Lengths are unset: 2^(k/2) for k = -2..6, that is
// 0.5 to 8 in steps of sqrt(2). The kernel correlates architectures one edit
// apart about exp(-1/l^2): 0.018 at l = 0.5, 0.37 at 1 (the paper's form),
// 0.78 at 2 and 0.98 at 8, so the grid spans a Gaussian process that knows
// only the observed architectures to one that spreads each cost over many
// morphs. Each value costs one kernel matrix and one O(n^3/3)
// factorisation per fit. The slice is fresh.
func DefaultLengths() []float64 {
	out := make([]float64, 9)
	for k := range out {
		out[k] = math.Exp2(float64(k-2) / 2)
	}
	return out
}

// LengthMargin is how much higher, in nats of log marginal likelihood, a
// length scale's Gaussian process must be than the one at
// kernel.DefaultLength for a fit to prefer it. On the short histories of a
// search the likelihood is often flat over the smaller scales (on the
// quick-profile AK searches, 4 to 6 models, 0.5 to 1 differ by less than
// 0.2 nats), and a likelihood ratio below about 1.6 does not justify
// leaving the paper's form.
const LengthMargin = 0.5

// Config holds the settings of the optimizer. The zero value means every
// default.
type Config struct {
	// Beta weighs the standard deviation in alpha = mu - Beta*sigma. Zero
	// means DefaultBeta (2.5).
	Beta float64
	// Lambda weighs skip connections in the distance (equation 3). Zero
	// means kernel.DefaultLambda (1).
	Lambda float64
	// Length, when positive, fixes the kernel's length scale l of
	// exp(-rho^2 / l^2) (kernel.Config.Length; 1 is the paper's form). Zero
	// means choose l at each fit: the value of Lengths whose Gaussian
	// process has the highest log marginal likelihood on the observed
	// costs. Negative or non-finite is an error.
	Length float64
	// Lengths is the grid Fit chooses the length scale from when Length is
	// zero, each value positive and finite. Nil means DefaultLengths().
	// Fit keeps kernel.DefaultLength when the grid holds it and no value
	// beats it by more than LengthMargin.
	Lengths []float64
	// R is the temperature decrease rate of Algorithm 1, in (0, 1). Zero
	// means DefaultR (0.6).
	R float64
	// TLow is the stopping temperature of Algorithm 1, in (0, 1). Zero
	// means DefaultTLow (1e-3).
	TLow float64
	// Seed draws the kernel's Bourgain anchor subsets. The annealing draws
	// from the generator passed to Optimize.
	Seed uint64
	// Noise is the Gaussian process's noise variance (gp.Config.Noise).
	// Zero means gp.DefaultNoise.
	Noise float64
	// MaxParams, when positive, discards candidates with more parameters
	// (graph.Graph.ParamCount). Zero means no limit.
	MaxParams int
	// MaxMemory, when positive, discards candidates whose training memory
	// estimate (graph.Graph.MemoryBytes at Batch) exceeds it, in bytes: the
	// bound of section 4.4. Zero means no limit.
	MaxMemory int64
	// Batch is the batch size of the memory estimate. Zero means 64, the
	// paper's.
	Batch int
	// MaxCandidates, when positive, stops Algorithm 1 early once that many
	// candidates were evaluated, a guard on generation time for very large
	// networks. Zero means no limit: only T_low and the empty queue stop it.
	MaxCandidates int
	// CacheSize is the number of expanded architectures whose children an
	// Optimizer remembers across calls. Zero means DefaultCacheSize (2048).
	CacheSize int
	// Logger receives one Debug event per optimisation. Nil discards.
	Logger *slog.Logger
}

// Check returns an error naming the first setting out of range, or nil.
func (cfg Config) Check() error {
	_, err := cfg.resolve()
	return err
}

// resolve returns cfg with defaults filled in, or an error naming the bad
// field.
func (cfg Config) resolve() (Config, error) {
	bad := func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) || v < 0 }
	switch {
	case bad(cfg.Beta):
		return cfg, fmt.Errorf("bayes: config beta %v, want finite and >= 0", cfg.Beta)
	case bad(cfg.Lambda):
		return cfg, fmt.Errorf("bayes: config lambda %v, want finite and >= 0", cfg.Lambda)
	case bad(cfg.R) || cfg.R >= 1:
		return cfg, fmt.Errorf("bayes: config r %v, want in (0, 1)", cfg.R)
	case bad(cfg.TLow) || cfg.TLow >= 1:
		return cfg, fmt.Errorf("bayes: config t_low %v, want in (0, 1)", cfg.TLow)
	case bad(cfg.Length):
		return cfg, fmt.Errorf("bayes: config length %v, want finite and >= 0", cfg.Length)
	case bad(cfg.Noise):
		return cfg, fmt.Errorf("bayes: config noise %v, want finite and >= 0", cfg.Noise)
	case cfg.MaxParams < 0 || cfg.MaxMemory < 0 || cfg.Batch < 0 || cfg.MaxCandidates < 0 || cfg.CacheSize < 0:
		return cfg, fmt.Errorf("bayes: config limits must not be negative (max params %d, max memory %d, batch %d, max candidates %d, cache size %d)",
			cfg.MaxParams, cfg.MaxMemory, cfg.Batch, cfg.MaxCandidates, cfg.CacheSize)
	}
	for i, l := range cfg.Lengths {
		if bad(l) || l == 0 {
			return cfg, fmt.Errorf("bayes: config lengths[%d] %v, want finite and > 0", i, l)
		}
	}
	if cfg.Beta == 0 {
		cfg.Beta = DefaultBeta
	}
	if cfg.Length == 0 && len(cfg.Lengths) == 0 {
		cfg.Lengths = DefaultLengths()
	}
	if cfg.Lambda == 0 {
		cfg.Lambda = kernel.DefaultLambda
	}
	if cfg.R == 0 {
		cfg.R = DefaultR
	}
	if cfg.TLow == 0 {
		cfg.TLow = DefaultTLow
	}
	if cfg.Batch == 0 {
		cfg.Batch = 64
	}
	if cfg.CacheSize == 0 {
		cfg.CacheSize = DefaultCacheSize
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return cfg, nil
}
