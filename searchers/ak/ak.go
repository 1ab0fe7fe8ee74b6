// Package ak is the paper's method (section 3): Bayesian optimization guided
// network morphism. Each proposal morphs an observed model: a Gaussian
// process over the edit-distance kernel predicts the cost of architectures,
// and Algorithm 1 searches the tree of morphs from the observed models for
// the lowest upper-confidence bound alpha = mu - beta*sigma (package
// core/bayes does both). The child starts from its parent's weights.
//
// The first proposal is the initial architecture, trained from scratch.
// While no model has been observed successfully there is nothing to morph
// (a pending or failed model has no weights), so the searcher then proposes
// fresh graphs made of one to three random operations on the initial
// architecture. Once the initial architecture is observed, the next few
// proposals are random single-operation morphs of it (Config.Neighbours):
// the Gaussian process starts from a handful of neighbouring architectures,
// as the initial models of section 5.4 do, instead of from one point, where
// every distant candidate has the full prior deviation and the upper
// confidence bound sends the search far away.
package ak

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"

	"github.com/morphnas/morphnas/core/bayes"
	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/morph"
	"github.com/morphnas/morphnas/core/search"
)

var _ search.Searcher = (*Searcher)(nil)

// freshTries bounds the random graphs drawn before the searcher reports
// exhaustion while no model has been observed successfully.
const freshTries = 100

// DefaultNeighbours is the default of Config.Neighbours: three children of
// the initial architecture, so that the first fit of the Gaussian process
// sees four architectures and a spread of costs.
const DefaultNeighbours = 3

// Config holds the settings of the searcher. The zero value means every
// default, except Initial, which is required.
type Config struct {
	// Seed drives every random choice (through search.History.Rand) and the
	// kernel's anchor subsets.
	Seed uint64
	// Initial is the starting architecture; it is proposed first.
	Initial *graph.Graph
	// Beta weighs the standard deviation in alpha = mu - Beta*sigma. Zero
	// means bayes.DefaultBeta (2.5).
	Beta float64
	// Lambda weighs skip connections in the kernel's distance. Zero means 1.
	Lambda float64
	// Length, when positive, fixes the kernel's length scale l of
	// exp(-rho^2 / l^2) (1 is the paper's form). Zero means the optimizer
	// chooses l at each proposal by the Gaussian process's marginal
	// likelihood (bayes.Config.Length).
	Length float64
	// R is the temperature decrease rate of Algorithm 1. Zero means
	// bayes.DefaultR (0.6).
	R float64
	// TLow is the stopping temperature of Algorithm 1. Zero means
	// bayes.DefaultTLow (1e-3).
	TLow float64
	// MaxParams, when positive, is the largest parameter count of a
	// proposal. Zero means no limit.
	MaxParams int
	// MaxMemory, when positive, is the largest training memory estimate of
	// a proposal in bytes, at batch 64. Zero means no limit (the search loop
	// applies its own bound too).
	MaxMemory int64
	// Neighbours is the number of random single-operation morphs of the
	// observed initial architecture proposed, as its children, before
	// Bayesian optimization starts; they count among all proposals made so
	// far, the initial one included. Zero means DefaultNeighbours; a
	// negative value means none.
	Neighbours int
	// MaxCandidates, when positive, bounds the candidates evaluated per
	// proposal. Zero means no bound.
	MaxCandidates int
	// Logger receives one Debug event per proposal. Nil discards.
	Logger *slog.Logger
}

// Searcher is the AK searcher. The Gaussian process is refitted from the
// history at each proposal, so a resumed search proposes what an
// uninterrupted one would; the only state kept between proposals is the
// optimizer's cache of children of expanded architectures, which changes no
// result. A Searcher is safe for concurrent use.
type Searcher struct {
	cfg Config
	opt *bayes.Optimizer
}

// New returns a searcher with the default settings, the constructor of the
// searcher registry. cfg.Initial is required.
func New(cfg search.Config) (*Searcher, error) {
	return NewWith(Config{Seed: cfg.Seed, Initial: cfg.Initial})
}

// NewWith returns a searcher with the given settings. It errors when
// Initial is missing or invalid, or a setting is out of range.
func NewWith(cfg Config) (*Searcher, error) {
	if cfg.Initial == nil {
		return nil, errors.New("ak: config has no initial architecture")
	}
	if err := cfg.Initial.Validate(); err != nil {
		return nil, fmt.Errorf("ak: initial architecture: %w", err)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Neighbours == 0 {
		cfg.Neighbours = DefaultNeighbours
	}
	opt, err := bayes.NewOptimizer(bayes.Config{
		Beta: cfg.Beta, Lambda: cfg.Lambda, Length: cfg.Length, R: cfg.R, TLow: cfg.TLow, Seed: cfg.Seed,
		MaxParams: cfg.MaxParams, MaxMemory: cfg.MaxMemory, MaxCandidates: cfg.MaxCandidates,
		Logger: cfg.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("ak: %w", err)
	}
	return &Searcher{cfg: cfg, opt: opt}, nil
}

// Propose implements search.Searcher. With no successful observation it
// proposes the initial architecture, or when that was already proposed, a
// fresh random morph of it. Otherwise it runs Algorithm 1 and proposes the
// nearest observed ancestor of the best candidate with the operations that
// lead to it. It returns an error wrapping search.ErrExhausted when no new
// architecture can be found.
func (s *Searcher) Propose(ctx context.Context, h *search.History) (search.Proposal, error) {
	if err := ctx.Err(); err != nil {
		return search.Proposal{}, err
	}
	rng := h.Rand(s.cfg.Seed)
	if p, ok := s.neighbour(rng, h); ok {
		return p, nil
	}
	res, err := s.opt.Optimize(ctx, h, rng)
	switch {
	case err == nil:
		s.cfg.Logger.Debug("ak: proposal", "parent", res.Parent, "ops", len(res.Ops),
			"alpha", res.Alpha, "mean", res.Mean, "std", res.Std, "evaluated", res.Evaluated)
		return search.Proposal{Parent: res.Parent, Ops: res.Ops}, nil
	case errors.Is(err, bayes.ErrNoObservations):
		return s.fresh(rng, h)
	case errors.Is(err, bayes.ErrNoCandidate):
		return search.Proposal{}, fmt.Errorf("ak: %w: %w", search.ErrExhausted, err)
	}
	return search.Proposal{}, fmt.Errorf("ak: %w", err)
}

// fresh returns the initial architecture when it is new to h, else a graph
// made of one to three random operations on it that is new to h.
func (s *Searcher) fresh(rng *rand.Rand, h *search.History) (search.Proposal, error) {
	if !h.Seen(s.cfg.Initial.Hash()) {
		return search.Proposal{Graph: s.cfg.Initial.Clone(false)}, nil
	}
	for range freshTries {
		g := s.cfg.Initial.Clone(false)
		for range 1 + rng.IntN(3) {
			opts := morph.Options(g)
			if len(opts) == 0 {
				break
			}
			if err := morph.Apply(g, opts[rng.IntN(len(opts))], nil); err != nil {
				break
			}
		}
		if !h.Seen(g.Hash()) && s.opt.Config().Fits(g) {
			return search.Proposal{Graph: g}, nil
		}
	}
	return search.Proposal{}, fmt.Errorf("ak: %d random morphs of the initial architecture all seen or too large: %w",
		freshTries, search.ErrExhausted)
}

// neighbour returns a random single-operation morph of the observed initial
// architecture, new to h, while fewer than Neighbours+1 proposals have been
// made. It reports false when that phase is over, the initial architecture
// has no successful observation, or no new neighbour is found.
func (s *Searcher) neighbour(rng *rand.Rand, h *search.History) (search.Proposal, bool) {
	if len(h.Observations)+len(h.Pending) > s.cfg.Neighbours {
		return search.Proposal{}, false
	}
	initial := s.cfg.Initial.Hash()
	var root *search.Observation
	for i := range h.Observations {
		if o := &h.Observations[i]; !o.Failed && o.Hash == initial {
			root = o
			break
		}
	}
	if root == nil {
		return search.Proposal{}, false
	}
	opts := morph.Options(root.Graph)
	for _, k := range rng.Perm(len(opts)) {
		g := root.Graph.Clone(false)
		if morph.Apply(g, opts[k], nil) != nil || h.Seen(g.Hash()) || !s.opt.Config().Fits(g) {
			continue
		}
		return search.Proposal{Parent: root.ID, Ops: []morph.Op{opts[k]}}, true
	}
	return search.Proposal{}, false
}
