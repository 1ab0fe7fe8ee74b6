// Package seas is the SEAS baseline of the paper's section 5: hill climbing
// with network morphism in the manner of Elsken, Metzen and Hutter (2017,
// "Simple and efficient architecture search for convolutional neural
// networks", the NASH algorithm). The search starts from the initial
// architecture and goes in steps: each step makes Children children of the
// current model, each by OpsPerChild random morph operations applied in
// turn, and trains them from the inherited weights; the next step starts
// from the best model found so far, which is the best of the last step's
// children unless none beat their parent.
//
// Settings: Children = 8 and OpsPerChild = 5, the values of Elsken et al.'s
// CIFAR-10 runs. They also train each child for a fixed, short number of
// epochs (17) with a cosine-annealed learning rate; here a child is trained
// as the loop trains every model (its epoch budget and early stopping),
// since search.Settings carries no epoch count.
// TODO: propose a per-child epoch budget once search.Settings has one.
//
// Steps are read off the history, so the searcher keeps no state: proposal
// number k (counting observed and pending ones, from 0) is the initial
// architecture for k = 0 and belongs to step (k-1)/Children otherwise; its
// parent is the best successful model among the first 1 + step*Children
// models by id, that is among the models of the earlier steps. With
// several models training at once, a step may start before the previous
// one has been fully observed; it then climbs from the best model known.
package seas

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/morph"
	"github.com/morphnas/morphnas/core/search"
)

var _ search.Searcher = (*Searcher)(nil)

// The settings of the climb.
const (
	// Children is the number of children made from the model of a step.
	Children = 8
	// OpsPerChild is the number of random operations applied in turn to
	// make one child.
	OpsPerChild = 5
	// tries bounds the children drawn for one proposal before it gives up
	// finding an architecture not yet seen.
	tries = 100
)

// Searcher is the morphism hill climber.
type Searcher struct {
	seed    uint64
	initial *graph.Graph
}

// New returns a hill climber that starts from cfg.Initial.
func New(cfg search.Config) (*Searcher, error) {
	if cfg.Initial == nil {
		return nil, errors.New("seas: config has no initial architecture")
	}
	if err := cfg.Initial.Validate(); err != nil {
		return nil, fmt.Errorf("seas: initial architecture: %w", err)
	}
	return &Searcher{seed: cfg.Seed, initial: cfg.Initial.Clone(false)}, nil
}

// Propose returns the initial architecture as a fresh graph while it was
// neither observed nor is pending, and afterwards a child of the current
// step's model: OpsPerChild random operations on it, whose result was not
// seen. Failed models are never parents and their architectures are never
// proposed again. While no model has succeeded (the first one still
// training, or failed), children of the initial architecture are proposed
// as fresh graphs, there being no trained weights to inherit yet. It
// returns an error wrapping search.ErrExhausted when tries children in a
// row were all seen.
func (s *Searcher) Propose(ctx context.Context, h *search.History) (search.Proposal, error) {
	if err := ctx.Err(); err != nil {
		return search.Proposal{}, err
	}
	seen := h.Hashes()
	if !seen[s.initial.Hash()] {
		return search.Proposal{Graph: s.initial.Clone(false)}, nil
	}
	rng := h.Rand(s.seed)
	parent := s.parent(h)
	if parent == nil {
		for range tries {
			if ops, g := child(s.initial, rng); len(ops) > 0 && !seen[g.Hash()] {
				return search.Proposal{Graph: g}, nil
			}
		}
		return search.Proposal{}, fmt.Errorf("seas: no successful model yet and %d children of the initial architecture all seen: %w",
			tries, search.ErrExhausted)
	}
	for range tries {
		if ops, g := child(parent.Graph, rng); len(ops) > 0 && !seen[g.Hash()] {
			return search.Proposal{Parent: parent.ID, Ops: ops}, nil
		}
	}
	return search.Proposal{}, fmt.Errorf("seas: %d children of model %d all seen: %w", tries, parent.ID, search.ErrExhausted)
}

// child applies up to OpsPerChild random operations in turn to a bare
// clone of g, and returns them and the result.
func child(g *graph.Graph, rng *rand.Rand) ([]morph.Op, *graph.Graph) {
	c := g.Clone(false)
	var ops []morph.Op
	for range OpsPerChild {
		op, ok := morph.Sample(c, rng)
		if !ok {
			break
		}
		if err := morph.Apply(c, op, nil); err != nil {
			continue // Options lists only valid operations; be safe anyway.
		}
		ops = append(ops, op)
	}
	return ops, c
}

// parent returns the model the next child is made from: the best
// successful model of the earlier steps, or the best known when those all
// failed or are pending; nil when there is no successful model.
func (s *Searcher) parent(h *search.History) *search.Observation {
	k := len(h.Observations) + len(h.Pending)
	step := (k - 1) / Children
	ids := make([]int, 0, k)
	for _, o := range h.Observations {
		ids = append(ids, o.ID)
	}
	for _, p := range h.Pending {
		ids = append(ids, p.ID)
	}
	slices.Sort(ids)
	earlier := ids[:min(len(ids), 1+step*Children)]
	var best *search.Observation
	for i := range h.Observations {
		o := &h.Observations[i]
		if o.Failed || o.Graph == nil {
			continue
		}
		if _, ok := slices.BinarySearch(earlier, o.ID); !ok {
			continue
		}
		if best == nil || cmp.Less(o.Cost, best.Cost) {
			best = o
		}
	}
	if best == nil {
		best = h.Best()
	}
	return best
}
