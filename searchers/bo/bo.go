// Package bo is the BO variant of the paper's section 5: the Bayesian
// optimization of AK (core/bayes: a Gaussian process over the edit-distance
// kernel, and Algorithm 1's search of the morph tree for the lowest
// upper-confidence bound, beta = 2.5, lambda = 1) without network
// morphism's weight reuse. The architecture the optimizer chooses is
// proposed as a fresh graph (Parent 0) and trained from random
// initialisation, so BO pays for every model in full what AK pays for only
// in the changed part.
package bo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/morphnas/morphnas/core/bayes"
	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/morph"
	"github.com/morphnas/morphnas/core/search"
)

var _ search.Searcher = (*Searcher)(nil)

// freshTries bounds the random morphs of the initial architecture drawn
// while no model has succeeded.
const freshTries = 100

// Searcher is the Bayesian optimizer with every model trained from scratch.
// The Gaussian process is refitted from the history at each proposal; the
// only state is the optimizer's cache of expanded architectures, which
// changes no result.
type Searcher struct {
	seed    uint64
	initial *graph.Graph
	opt     *bayes.Optimizer
}

// New returns a BO searcher that starts from cfg.Initial, with the
// optimizer's defaults (bayes.Config's zero value) and cfg.Seed for the
// kernel's Bourgain anchors.
func New(cfg search.Config) (*Searcher, error) {
	if cfg.Initial == nil {
		return nil, errors.New("bo: config has no initial architecture")
	}
	if err := cfg.Initial.Validate(); err != nil {
		return nil, fmt.Errorf("bo: initial architecture: %w", err)
	}
	opt, err := bayes.NewOptimizer(bayes.Config{Seed: cfg.Seed})
	if err != nil {
		return nil, fmt.Errorf("bo: %w", err)
	}
	return &Searcher{seed: cfg.Seed, initial: cfg.Initial.Clone(false), opt: opt}, nil
}

// Propose returns the initial architecture as a fresh graph while it was
// neither observed nor is pending; afterwards the architecture of lowest
// acquisition found by bayes.Optimize on the history, as a fresh graph.
// Failed models are left out of the model and never proposed again. While
// no model has succeeded (the first one still training, or failed), it
// proposes the initial architecture morphed by one to three random
// operations, as AK does. It returns an error wrapping search.ErrExhausted
// when no new candidate is found.
func (s *Searcher) Propose(ctx context.Context, h *search.History) (search.Proposal, error) {
	if err := ctx.Err(); err != nil {
		return search.Proposal{}, err
	}
	if !h.Seen(s.initial.Hash()) {
		return search.Proposal{Graph: s.initial.Clone(false)}, nil
	}
	rng := h.Rand(s.seed)
	res, err := s.opt.Optimize(ctx, h, rng)
	switch {
	case errors.Is(err, bayes.ErrNoObservations):
		return s.fresh(h, rng)
	case errors.Is(err, bayes.ErrNoCandidate):
		return search.Proposal{}, fmt.Errorf("bo: %w: %w", err, search.ErrExhausted)
	case err != nil:
		return search.Proposal{}, fmt.Errorf("bo: %w", err)
	}
	return search.Proposal{Graph: res.Graph.Clone(false)}, nil
}

// fresh returns the initial architecture morphed by one to three random
// operations, new to h and within the optimizer's size limits.
func (s *Searcher) fresh(h *search.History, rng *rand.Rand) (search.Proposal, error) {
	for range freshTries {
		g := s.initial.Clone(false)
		for range 1 + rng.IntN(3) {
			op, ok := morph.Sample(g, rng)
			if !ok || morph.Apply(g, op, nil) != nil {
				break
			}
		}
		if !h.Seen(g.Hash()) && s.opt.Config().Fits(g) {
			return search.Proposal{Graph: g}, nil
		}
	}
	return search.Proposal{}, fmt.Errorf("bo: no successful model yet and %d random morphs of the initial architecture all seen: %w",
		freshTries, search.ErrExhausted)
}
