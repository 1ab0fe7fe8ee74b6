package searchtest

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/morph"
	"github.com/morphnas/morphnas/core/search"
)

// Objective is a synthetic cost: a known function of an architecture's
// depth, widths and skip connections, standing in for the error rate of a
// trained model so that searchers can be run and compared in milliseconds.
// It reads the main chain (graph.Graph.MainChain): its conv layers (those
// flagged graph.Layer.Skip left out), its dense layers before the
// classifier, and its add and concat layers.
//
// The cost is
//
//	Floor + DepthWeight*(convs - Depth)^2
//	      + WidthWeight*mean over conv layers of log2(units/Width)^2
//	      + SkipWeight*(skips - Skips)^2
//	      + DenseWeight*(hidden dense layers)
//
// capped at 0.95, plus, when Noise is positive, a pseudo-random offset in
// [-Noise, Noise] derived from the architecture's hash (so the same
// architecture always costs the same). The zero value of every field means
// the default its comment gives. With the defaults the paper's initial
// network (graph.Initial: 3 convs of 64) costs 0.05 + 0.25 + 0.04 + 0.09 =
// 0.43, and the optimum, 8 convs of 128 with 3 skips, costs 0.05.
type Objective struct {
	Floor       float64 // cost of the best architecture; default 0.05
	Depth       int     // best number of conv layers; default 8
	Width       int     // best conv width, in filters; default 128
	Skips       int     // best number of skip connections; default 3
	DepthWeight float64 // default 0.01
	WidthWeight float64 // default 0.04
	SkipWeight  float64 // default 0.01
	DenseWeight float64 // default 0.01
	Noise       float64 // default 0: no noise
}

// Cost returns the synthetic cost of g, in [0, 1]. A graph without an
// output costs 1.
func (o Objective) Cost(g *graph.Graph) float64 {
	o = o.withDefaults()
	chain := g.MainChain()
	if len(chain) == 0 {
		return 1
	}
	var convs, skips, dense int
	var widthTerm float64
	for _, v := range chain[1:] {
		l := &g.Layers[v-1]
		switch {
		case l.Kind == graph.Conv2D && !l.Skip:
			convs++
			r := math.Log2(float64(max(l.Units, 1)) / float64(o.Width))
			widthTerm += r * r
		case l.Kind == graph.Dense:
			dense++
		case l.Kind == graph.Add || l.Kind == graph.Concat:
			skips++
		}
	}
	dense = max(dense-1, 0) // the classifier is not a hidden layer
	if convs > 0 {
		widthTerm /= float64(convs)
	}
	dd := float64(convs - o.Depth)
	ds := float64(skips - o.Skips)
	c := o.Floor + o.DepthWeight*dd*dd + o.WidthWeight*widthTerm + o.SkipWeight*ds*ds + o.DenseWeight*float64(dense)
	c = min(c, 0.95)
	if o.Noise > 0 {
		u := (PseudoCost(g.Hash()) - 0.05) / 0.9 // uniform in [0, 1)
		c += o.Noise * (2*u - 1)
	}
	return min(max(c, 0), 1)
}

func (o Objective) withDefaults() Objective {
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	def(&o.Floor, 0.05)
	def(&o.DepthWeight, 0.01)
	def(&o.WidthWeight, 0.04)
	def(&o.SkipWeight, 0.01)
	def(&o.DenseWeight, 0.01)
	if o.Depth == 0 {
		o.Depth = 8
	}
	if o.Width == 0 {
		o.Width = 128
	}
	if o.Skips == 0 {
		o.Skips = 3
	}
	return o
}

// Run drives s for up to n evaluations against cost, one at a time: each
// proposal is resolved to its architecture (a morph proposal by
// morph.ApplyAll on a bare clone of its parent's graph, a fresh one by a
// bare clone of its Graph), observed with that cost under the next id (ids
// from 1), and appended to the history before the next is asked. It
// returns the history so far and, when s stops early, s's error (one
// wrapping search.ErrExhausted when the space ran out) or an error naming
// the proposal that could not be resolved.
func Run(ctx context.Context, s search.Searcher, n int, cost func(*graph.Graph) float64) (*search.History, error) {
	h := &search.History{}
	for id := 1; id <= n; id++ {
		p, err := s.Propose(ctx, h)
		if err != nil {
			return h, fmt.Errorf("searchtest: proposal %d: %w", id, err)
		}
		g, err := Resolve(h, p)
		if err != nil {
			return h, fmt.Errorf("searchtest: proposal %d: %w", id, err)
		}
		c := cost(g)
		h.Observations = append(h.Observations, search.Observation{
			ID: id, Parent: p.Parent, Ops: p.Ops, Graph: g, Hash: g.Hash(),
			Settings: p.Settings, Metric: 1 - c, Cost: c, Epochs: 1,
		})
	}
	return h, nil
}

// Resolve returns the bare architecture that p leads to on h, or an error
// saying why p is malformed: no parent and no graph, an unknown or failed
// parent, operations that do not apply, or an invalid result.
func Resolve(h *search.History, p search.Proposal) (*graph.Graph, error) {
	var g *graph.Graph
	if p.Parent == 0 {
		if p.Graph == nil {
			return nil, errors.New("searchtest: proposal has neither a parent nor a graph")
		}
		g = p.Graph.Clone(false)
	} else {
		parent := h.Find(p.Parent)
		switch {
		case parent == nil:
			return nil, fmt.Errorf("searchtest: parent %d is not an observed model", p.Parent)
		case parent.Failed:
			return nil, fmt.Errorf("searchtest: parent %d is a failed trial", p.Parent)
		}
		g = parent.Graph.Clone(false)
		if err := morph.ApplyAll(g, p.Ops, nil); err != nil {
			return nil, fmt.Errorf("searchtest: operations on parent %d: %w", p.Parent, err)
		}
	}
	if err := g.Validate(); err != nil {
		return nil, fmt.Errorf("searchtest: proposed architecture: %w", err)
	}
	return g, nil
}

// BestSoFar returns, after each observation of h, the lowest cost of a
// successful observation so far (+Inf before the first).
func BestSoFar(h *search.History) []float64 {
	out := make([]float64, len(h.Observations))
	best := math.Inf(1)
	for i, o := range h.Observations {
		if !o.Failed {
			best = min(best, o.Cost)
		}
		out[i] = best
	}
	return out
}

// RandomMorph is the simplest morphism searcher, a baseline for tests: the
// first proposal is Initial; each later one is a successful observed model
// chosen uniformly with one operation of Omega (morph.Options) chosen
// uniformly, retried until the result is new.
type RandomMorph struct {
	Seed    uint64
	Initial *graph.Graph
}

var _ search.Searcher = RandomMorph{}

// randomTries bounds the draws of RandomMorph before it reports exhaustion.
const randomTries = 200

// Propose implements search.Searcher.
func (r RandomMorph) Propose(ctx context.Context, h *search.History) (search.Proposal, error) {
	if err := ctx.Err(); err != nil {
		return search.Proposal{}, err
	}
	if len(h.Observations) == 0 && len(h.Pending) == 0 {
		return search.Proposal{Graph: r.Initial.Clone(false)}, nil
	}
	var ok []*search.Observation
	for i := range h.Observations {
		if !h.Observations[i].Failed {
			ok = append(ok, &h.Observations[i])
		}
	}
	if len(ok) == 0 {
		return search.Proposal{}, fmt.Errorf("searchtest: no successful model to morph: %w", search.ErrExhausted)
	}
	rng := h.Rand(r.Seed)
	for range randomTries {
		o := ok[rng.IntN(len(ok))]
		opts := morph.Options(o.Graph)
		if len(opts) == 0 {
			continue
		}
		op := opts[rng.IntN(len(opts))]
		g := o.Graph.Clone(false)
		if morph.Apply(g, op, nil) != nil || h.Seen(g.Hash()) {
			continue
		}
		return search.Proposal{Parent: o.ID, Ops: []morph.Op{op}}, nil
	}
	return search.Proposal{}, fmt.Errorf("searchtest: %d random morphs all seen: %w", randomTries, search.ErrExhausted)
}
