// Package bfs is the BFS variant of the paper's section 5: network morphism
// without Bayesian optimization. It walks the tree of morphs breadth-first
// from the initial architecture: the root is the initial architecture, the
// children of a model are the graphs one operation of Omega (morph.Options)
// away from it, and the models are expanded in the order they were
// observed, each node's children in an order shuffled by the seed and the
// node's id. Every child is proposed as a morph of its parent (Parent plus
// one operation), so it starts from the parent's trained weights.
package bfs

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

// Searcher is the breadth-first morph search. It keeps no state: the
// frontier is rebuilt from the history at each proposal.
type Searcher struct {
	seed    uint64
	initial *graph.Graph
}

// New returns a breadth-first searcher that starts from cfg.Initial.
func New(cfg search.Config) (*Searcher, error) {
	if cfg.Initial == nil {
		return nil, errors.New("bfs: config has no initial architecture")
	}
	if err := cfg.Initial.Validate(); err != nil {
		return nil, fmt.Errorf("bfs: initial architecture: %w", err)
	}
	return &Searcher{seed: cfg.Seed, initial: cfg.Initial.Clone(false)}, nil
}

// Propose returns the initial architecture as a fresh graph while it was
// neither observed nor is pending; after that, the first child not yet
// seen of the successful models taken in the order of their ids, as a
// morph of that model. Failed models are not expanded and their
// architectures are never proposed again.
//
// When every successful model is fully expanded, the pending models are
// expanded in the order of their ids, and, while no model has succeeded,
// the initial architecture; such children are proposed as fresh graphs,
// there being no trained weights to inherit yet. This keeps a loop busy
// that asks for the next proposal while the first model trains. When even
// those are exhausted, Propose returns an error wrapping
// search.ErrExhausted.
//
// Cost: each call replays, on bare graphs, every operation of the models
// already fully expanded, O(models x |Omega|) applications and hashes.
// TODO: cache the expanded prefix between calls if this shows in profiles.
func (s *Searcher) Propose(ctx context.Context, h *search.History) (search.Proposal, error) {
	seen := h.Hashes()
	if !seen[s.initial.Hash()] {
		return search.Proposal{Graph: s.initial.Clone(false)}, nil
	}

	// Expand the successful models in the order of their ids.
	nodes := make([]*search.Observation, 0, len(h.Observations))
	for i := range h.Observations {
		if o := &h.Observations[i]; !o.Failed && o.Graph != nil {
			nodes = append(nodes, o)
		}
	}
	slices.SortStableFunc(nodes, func(a, b *search.Observation) int { return cmp.Compare(a.ID, b.ID) })
	for _, o := range nodes {
		if err := ctx.Err(); err != nil {
			return search.Proposal{}, err
		}
		if op, _, ok := s.child(o.ID, o.Graph, seen); ok {
			return search.Proposal{Parent: o.ID, Ops: []morph.Op{op}}, nil
		}
	}

	// Then the pending models, and the initial architecture (node 0 of the
	// order) while no model has succeeded, with fresh children.
	pending := make([]search.Pending, 0, len(h.Pending))
	for _, p := range h.Pending {
		if p.Graph != nil {
			pending = append(pending, p)
		}
	}
	slices.SortStableFunc(pending, func(a, b search.Pending) int { return cmp.Compare(a.ID, b.ID) })
	if len(nodes) == 0 {
		pending = append(pending, search.Pending{ID: 0, Graph: s.initial})
	}
	for _, p := range pending {
		if _, g, ok := s.child(p.ID, p.Graph, seen); ok {
			return search.Proposal{Graph: g}, nil
		}
	}
	return search.Proposal{}, fmt.Errorf("bfs: all %d successful and %d pending models fully expanded: %w",
		len(nodes), len(h.Pending), search.ErrExhausted)
}

// child returns the first operation on g, the architecture of model id, in
// the node's seeded order, whose result was not seen, and that result.
func (s *Searcher) child(id int, g *graph.Graph, seen map[string]bool) (morph.Op, *graph.Graph, bool) {
	ops := morph.Options(g)
	rng := rand.New(rand.NewPCG(s.seed, uint64(id)))
	rng.Shuffle(len(ops), func(i, j int) { ops[i], ops[j] = ops[j], ops[i] })
	for _, op := range ops {
		c := g.Clone(false)
		if err := morph.Apply(c, op, nil); err != nil {
			continue // Options lists only valid operations; be safe anyway.
		}
		if !seen[c.Hash()] {
			return op, c, true
		}
	}
	return morph.Op{}, nil, false
}
