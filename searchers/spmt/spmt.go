// Package spmt is the SPMT baseline of the paper's section 5: Bayesian
// optimization with a Gaussian process and expected improvement in the
// manner of Snoek, Larochelle and Adams (2012), tuning the 16
// hyperparameters of a three-layer CNN (see hyper.Dims for the list and ranges).
// Every proposal is a fresh graph trained from scratch; it carries its
// training settings in Proposal.Settings and its per-layer L2 rates in the
// graph.
//
// The surrogate is a GP over the normalised 16-vectors with a Matern 5/2
// kernel (unit variance, one length scale for every dimension), fitted by
// core/gp to the costs of the successful observations. The length scale is
// the one of LengthScales with the highest marginal likelihood, refitted
// at every proposal: a cheap stand-in for the slice sampling of the
// hyperparameters in Snoek et al. Expected improvement over the best cost is
// maximised over random candidates and Gaussian perturbations of the best
// observed points. The first InitialDesign proposals are random.
//
// Deviations: no per-dimension length scales, no integration over the GP's
// hyperparameters, and pending trials are not modelled (no fantasies); a
// pending configuration is only kept from being proposed again.
//
// Known limit: a configuration's identity is its graph's hash, which covers
// the widths, kernels, dropout and L2 rates but not the training settings,
// so two configurations that differ only in learning rate, batch size,
// momentum or optimizer count as one and the second is never proposed.
// Dropout and L2 are continuous, so this rarely bites.
// TODO: include the settings in the identity once the loop's hash does.
package spmt

import (
	"github.com/morphnas/morphnas/core/hyper"

	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/morphnas/morphnas/core/gp"
	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/search"
)

var _ search.Searcher = (*Searcher)(nil)

// Settings of the search.
const (
	// InitialDesign is the number of successful observations in the space
	// below which proposals are drawn at random.
	InitialDesign = 5
	// RandomCandidates is the number of uniform random candidates on which
	// expected improvement is evaluated at each proposal.
	RandomCandidates = 2000
	// LocalCandidates is the number of Gaussian perturbations (standard
	// deviation LocalStep in normalised units) of each of the LocalParents
	// best observed points added to the candidates.
	LocalCandidates = 100
	LocalParents    = 5
	LocalStep       = 0.1
	// Noise is the GP's noise variance relative to the kernel's unit
	// diagonal, in normalised cost units: training results are noisy.
	Noise = 1e-3
	// draws bounds the random samples tried for an unseen configuration.
	draws = 1000
)

// LengthScales are the Matern length scales, in normalised units (the
// diagonal of the unit hypercube is 4), among which the marginal
// likelihood chooses.
var LengthScales = []float64{0.25, 0.5, 1, 2, 4}

// Searcher is the GP-EI optimizer. It keeps no state between proposals:
// the GP is refitted from the history each time.
type Searcher struct {
	seed    uint64
	input   graph.Shape
	classes int
}

// New returns a GP-EI searcher. cfg.Initial fixes the input shape and the
// number of classes; its layers are not used.
func New(cfg search.Config) (*Searcher, error) {
	if cfg.Initial == nil {
		return nil, errors.New("spmt: config has no initial architecture (it fixes input shape and classes)")
	}
	return &Searcher{seed: cfg.Seed, input: cfg.Initial.Input, classes: cfg.Initial.Classes}, nil
}

// Propose returns a fresh configuration not yet observed or pending: a
// random one while fewer than InitialDesign successful observations lie in
// the space, then the candidate of highest expected improvement. Failed
// observations are left out of the model but never proposed again.
// Observations outside the space (other graphs, no settings) are ignored.
// It returns search.ErrExhausted when no unseen configuration is found.
func (s *Searcher) Propose(ctx context.Context, h *search.History) (search.Proposal, error) {
	if err := ctx.Err(); err != nil {
		return search.Proposal{}, err
	}
	rng := h.Rand(s.seed)
	seen := h.Hashes()
	xs, ys := s.data(h)

	// Initial design.
	if len(xs) < InitialDesign {
		for range draws {
			if p, ok := s.proposal(hyper.Sample(rng), seen); ok {
				return p, nil
			}
		}
		return search.Proposal{}, fmt.Errorf("spmt: %d random draws all seen: %w", draws, search.ErrExhausted)
	}

	// Fit the GP with the most likely length scale.
	model, ell, err := fitGP(xs, ys)
	if err != nil {
		return search.Proposal{}, fmt.Errorf("spmt: %w", err)
	}
	best := slices.Min(ys)

	// Candidates: uniform ones, then perturbations of the best points.
	cands := make([][]float64, 0, RandomCandidates+LocalParents*LocalCandidates)
	for range RandomCandidates {
		cands = append(cands, hyper.Encode(hyper.Sample(rng)))
	}
	order := make([]int, len(ys))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmpFloat(ys[a], ys[b]) })
	for _, i := range order[:min(LocalParents, len(order))] {
		for range LocalCandidates {
			x := slices.Clone(xs[i])
			for d := range x {
				x[d] += LocalStep * rng.NormFloat64()
			}
			cands = append(cands, hyper.Encode(hyper.Decode(x)))
		}
	}

	// Rank by expected improvement; take the best unseen.
	ei := make([]float64, len(cands))
	kstar := make([]float64, len(xs))
	for c, x := range cands {
		for i, xi := range xs {
			kstar[i] = matern52(x, xi, ell)
		}
		mu, sd := model.Predict(kstar, 1)
		ei[c] = hyper.ExpectedImprovement(mu, sd, best)
	}
	idx := make([]int, len(cands))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmpFloat(ei[b], ei[a]) })
	for k, c := range idx {
		if k%256 == 0 {
			if err := ctx.Err(); err != nil {
				return search.Proposal{}, err
			}
		}
		if p, ok := s.proposal(hyper.Decode(cands[c]), seen); ok {
			return p, nil
		}
	}
	return search.Proposal{}, fmt.Errorf("spmt: all %d candidates seen: %w", len(cands), search.ErrExhausted)
}

// data returns the normalised points and costs of the successful
// observations that lie in the space.
func (s *Searcher) data(h *search.History) (xs [][]float64, ys []float64) {
	for _, o := range h.Observations {
		if o.Failed || math.IsNaN(o.Cost) || math.IsInf(o.Cost, 0) {
			continue
		}
		p, ok := hyper.Recover(o.Graph, o.Settings)
		if !ok {
			continue
		}
		xs = append(xs, hyper.Encode(p))
		ys = append(ys, o.Cost)
	}
	return xs, ys
}

// proposal builds p and returns it unless its architecture was seen.
func (s *Searcher) proposal(p hyper.Point, seen map[string]bool) (search.Proposal, bool) {
	g, set := p.Build(s.input, s.classes)
	if seen[g.Hash()] {
		return search.Proposal{}, false
	}
	return search.Proposal{Graph: g, Settings: set}, true
}

// fitGP fits a GP for each length scale and returns the one of highest
// marginal likelihood.
func fitGP(xs [][]float64, ys []float64) (*gp.Model, float64, error) {
	var (
		best    *gp.Model
		bestEll float64
		lastErr error
	)
	n := len(xs)
	k := make([][]float64, n)
	for i := range k {
		k[i] = make([]float64, n)
	}
	for _, ell := range LengthScales {
		for i := range n {
			for j := range n {
				k[i][j] = matern52(xs[i], xs[j], ell)
			}
		}
		m, err := gp.Fit(k, ys, gp.Config{Noise: Noise})
		if err != nil {
			lastErr = err
			continue
		}
		if best == nil || m.LogMarginalLikelihood() > best.LogMarginalLikelihood() {
			best, bestEll = m, ell
		}
	}
	if best == nil {
		return nil, 0, lastErr
	}
	return best, bestEll, nil
}

// matern52 is the Matern 5/2 kernel of unit variance and length scale ell.
func matern52(a, b []float64, ell float64) float64 {
	d2 := 0.0
	for i := range a {
		d := a[i] - b[i]
		d2 += d * d
	}
	r := math.Sqrt(5*d2) / ell
	return (1 + r + r*r/3) * math.Exp(-r)
}

// cmpFloat orders floats with NaN last.
func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	case math.IsNaN(a) && !math.IsNaN(b):
		return 1
	case !math.IsNaN(a) && math.IsNaN(b):
		return -1
	}
	return 0
}
