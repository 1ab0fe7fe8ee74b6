// Package smac is the SMAC baseline of the paper's section 5: sequential
// model-based algorithm configuration with a random-forest surrogate (Hutter,
// Hoos and Leyton-Brown 2011), tuning the 16 hyperparameters of a
// three-layer CNN (see hyper.Dims for the list and ranges). Every proposal is a
// fresh graph trained from scratch; it carries its training settings in
// Proposal.Settings and its per-layer L2 rates in the graph.
//
// The surrogate is a Forest fitted to the costs of the successful
// observations; expected improvement over the best cost, computed from the
// mean and variance across its trees, is maximised by local search in the
// one-exchange neighbourhood (one hyperparameter changed at a time) from
// the best observed configurations, and over random configurations. As in
// SMAC, model-based proposals are interleaved with random ones: after the
// InitialDesign random proposals, every second proposal is random.
//
// Deviations: no intensification (each configuration is evaluated once,
// since a trial here is a full training run), costs are modelled as they are
// (not in log space), and pending trials are not modelled; a pending
// configuration is only kept from being proposed again.
//
// Known limit: a configuration's identity is its graph's hash, which covers
// the widths, kernels, dropout and L2 rates but not the training settings,
// so two configurations that differ only in learning rate, batch size,
// momentum or optimizer count as one and the second is never proposed.
// Dropout and L2 are continuous, so this rarely bites.
// TODO: include the settings in the identity once the loop's hash does.
package smac

import (
	"github.com/morphnas/morphnas/core/hyper"

	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/search"
)

var _ search.Searcher = (*Searcher)(nil)

// Settings of the search.
const (
	// InitialDesign is the number of successful observations in the space
	// below which proposals are drawn at random.
	InitialDesign = 5
	// RandomCandidates is the number of random configurations on which
	// expected improvement is evaluated at each model-based proposal.
	RandomCandidates = 1000
	// LocalStarts is the number of best observed configurations local
	// search starts from; LocalSteps bounds its moves, and each move looks
	// at Neighbours perturbations of each hyperparameter (Gaussian of
	// standard deviation LocalStep in normalised units).
	LocalStarts = 10
	LocalSteps  = 10
	Neighbours  = 4
	LocalStep   = 0.2
	// draws bounds the random samples tried for an unseen configuration.
	draws = 1000
)

// Searcher is the random-forest SMBO. It keeps no state between proposals:
// the forest is regrown from the history each time.
type Searcher struct {
	seed    uint64
	input   graph.Shape
	classes int
}

// New returns a SMAC searcher. cfg.Initial fixes the input shape and the
// number of classes; its layers are not used.
func New(cfg search.Config) (*Searcher, error) {
	if cfg.Initial == nil {
		return nil, errors.New("smac: config has no initial architecture (it fixes input shape and classes)")
	}
	return &Searcher{seed: cfg.Seed, input: cfg.Initial.Input, classes: cfg.Initial.Classes}, nil
}

// Propose returns a fresh configuration not yet observed or pending: a
// random one during the initial design and at every second proposal after
// it, otherwise the configuration of highest expected improvement found.
// Failed observations are left out of the model but never proposed again;
// observations outside the space (other graphs, no settings) are ignored.
// It returns search.ErrExhausted when no unseen configuration is found.
func (s *Searcher) Propose(ctx context.Context, h *search.History) (search.Proposal, error) {
	if err := ctx.Err(); err != nil {
		return search.Proposal{}, err
	}
	rng := h.Rand(s.seed)
	seen := h.Hashes()
	xs, ys := s.data(h)
	made := len(h.Observations) + len(h.Pending)

	// Initial design and random interleaving.
	if len(xs) < InitialDesign || made%2 == 1 {
		for range draws {
			if p, ok := s.proposal(hyper.Sample(rng), seen); ok {
				return p, nil
			}
		}
		return search.Proposal{}, fmt.Errorf("smac: %d random draws all seen: %w", draws, search.ErrExhausted)
	}

	// Fit the forest and score candidates by expected improvement.
	forest := FitForest(xs, ys, ForestConfig{}, rng)
	best := slices.Min(ys)
	score := func(x []float64) float64 {
		mu, v := forest.Predict(x)
		return hyper.ExpectedImprovement(mu, math.Sqrt(v), best)
	}
	var cands [][]float64
	order := make([]int, len(ys))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmpFloat(ys[a], ys[b]) })
	for _, i := range order[:min(LocalStarts, len(order))] {
		cands = append(cands, localSearch(xs[i], score, rng)...)
	}
	for range RandomCandidates {
		cands = append(cands, hyper.Encode(hyper.Sample(rng)))
	}

	// Take the best unseen candidate.
	ei := make([]float64, len(cands))
	for c, x := range cands {
		ei[c] = score(x)
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
	return search.Proposal{}, fmt.Errorf("smac: all %d candidates seen: %w", len(cands), search.ErrExhausted)
}

// localSearch climbs expected improvement from x in the one-exchange
// neighbourhood and returns every point it visited, x excluded.
func localSearch(x []float64, score func([]float64) float64, rng *rand.Rand) [][]float64 {
	var visited [][]float64
	cur, curScore := x, score(x)
	for range LocalSteps {
		var next []float64
		nextScore := curScore
		for d := range hyper.Dims {
			for range Neighbours {
				y := slices.Clone(cur)
				y[d] += LocalStep * rng.NormFloat64()
				y = hyper.Encode(hyper.Decode(y))
				if sc := score(y); sc > nextScore {
					next, nextScore = y, sc
				}
			}
		}
		if next == nil {
			break
		}
		visited = append(visited, next)
		cur, curScore = next, nextScore
	}
	return visited
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
