package searchtest_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/morph"
	"github.com/morphnas/morphnas/core/search"
	"github.com/morphnas/morphnas/core/search/searchtest"
)

var mnist = graph.Shape{H: 28, W: 28, C: 1}

// blocks returns conv blocks of the given widths without pooling, with add
// skips (through a 1x1 conv) from the end of block i-1 to the end of block
// i for every i in skips, and concat skips folded back by a Skip-flagged
// 1x1 conv for every i in concats.
func blocks(widths []int, skips, concats []int, hidden int) *graph.Graph {
	g := graph.New(mnist, 10)
	cur := 0
	in := func(s []int, i int) bool {
		for _, v := range s {
			if v == i {
				return true
			}
		}
		return false
	}
	for i, w := range widths {
		start := cur
		cur = g.ReLU(g.BatchNorm(g.Conv(cur, w, 3, 1)))
		switch {
		case in(skips, i):
			cur = g.Sum(cur, g.Conv(start, w, 1, 1))
		case in(concats, i):
			cat := g.Concat(cur, start)
			cur = g.Append(graph.Layer{Kind: graph.Conv2D, Inputs: []int{cat}, Units: w, Kernel: 1, Skip: true})
		}
	}
	u := g.GAP(cur)
	for range hidden {
		u = g.ReLU(g.Dense(u, 64))
	}
	g.Softmax(g.Dense(u, 10))
	return g
}

func TestObjectiveByHand(t *testing.T) {
	w128 := []int{128, 128, 128, 128, 128, 128, 128, 128}
	tests := []struct {
		name string
		g    *graph.Graph
		want float64
	}{
		// 0.05 + 0.01*(3-8)^2 + 0.04*log2(64/128)^2 + 0.01*(0-3)^2.
		{"initial", graph.Initial(mnist, 10), 0.05 + 0.25 + 0.04 + 0.09},
		{"optimum", blocks(w128, []int{1, 3}, []int{5}, 0), 0.05},
		{"optimum and a hidden dense layer", blocks(w128, []int{1, 3}, []int{5}, 1), 0.06},
		// One width of 32: log2(1/4)^2 = 4, averaged over 8 convs.
		{"one narrow layer", blocks([]int{32, 128, 128, 128, 128, 128, 128, 128}, []int{1, 3, 5}, nil, 0), 0.05 + 0.04*4.0/8},
		// The Skip-flagged folds are not convs of the chain: 8 convs, 4
		// skips.
		{"four skips", blocks(w128, nil, []int{0, 2, 4, 6}, 0), 0.05 + 0.01},
		{"capped", blocks([]int{8}, nil, nil, 0), 0.95},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, tc.g.Validate())
			assert.InDelta(t, tc.want, searchtest.Objective{}.Cost(tc.g), 1e-12)
		})
	}
	assert.Equal(t, 1.0, searchtest.Objective{}.Cost(graph.New(mnist, 10)), "no output")
}

func TestObjectiveNoise(t *testing.T) {
	g := graph.Initial(mnist, 10)
	plain := searchtest.Objective{}.Cost(g)
	noisy := searchtest.Objective{Noise: 0.02}
	c := noisy.Cost(g)
	assert.InDelta(t, plain, c, 0.02)
	assert.NotEqual(t, plain, c)
	assert.Equal(t, c, noisy.Cost(g.Clone(false)), "the same architecture costs the same")
}

func TestRunRandomMorph(t *testing.T) {
	initial := graph.Initial(mnist, 10)
	obj := searchtest.Objective{}
	h, err := searchtest.Run(context.Background(), searchtest.RandomMorph{Seed: 3, Initial: initial}, 12, obj.Cost)
	require.NoError(t, err)
	require.Len(t, h.Observations, 12)
	seen := map[string]bool{}
	for i, o := range h.Observations {
		assert.Equal(t, i+1, o.ID)
		assert.Equal(t, o.Graph.Hash(), o.Hash)
		assert.InDelta(t, obj.Cost(o.Graph), o.Cost, 0)
		assert.False(t, seen[o.Hash], "model %d repeats an architecture", o.ID)
		seen[o.Hash] = true
		if o.Parent == 0 {
			assert.Equal(t, initial.Hash(), o.Hash)
			continue
		}
		g := h.Find(o.Parent).Graph.Clone(false)
		require.NoError(t, morph.ApplyAll(g, o.Ops, nil))
		assert.Equal(t, o.Hash, g.Hash(), "model %d replays from its parent", o.ID)
	}
	best := searchtest.BestSoFar(h)
	for i := 1; i < len(best); i++ {
		assert.LessOrEqual(t, best[i], best[i-1])
		assert.Equal(t, min(best[i-1], h.Observations[i].Cost), best[i])
	}
}

type failing struct{}

func (failing) Propose(context.Context, *search.History) (search.Proposal, error) {
	return search.Proposal{}, search.ErrExhausted
}

func TestRunErrors(t *testing.T) {
	h, err := searchtest.Run(context.Background(), failing{}, 3, searchtest.Objective{}.Cost)
	assert.True(t, errors.Is(err, search.ErrExhausted), "got %v", err)
	assert.Empty(t, h.Observations)

	initial := graph.Initial(mnist, 10)
	h = &search.History{Observations: []search.Observation{
		{ID: 1, Graph: initial, Hash: initial.Hash()},
		{ID: 2, Graph: initial, Hash: initial.Hash(), Failed: true},
	}}
	tests := []struct {
		p    search.Proposal
		want string
	}{
		{search.Proposal{}, "neither a parent nor a graph"},
		{search.Proposal{Parent: 7}, "parent 7 is not an observed model"},
		{search.Proposal{Parent: 2}, "parent 2 is a failed trial"},
		{search.Proposal{Parent: 1, Ops: []morph.Op{{Kind: morph.Widen, Node: 999, Units: 8}}}, "operations on parent 1"},
		{search.Proposal{Graph: graph.New(mnist, 10)}, "proposed architecture"},
	}
	for _, tc := range tests {
		_, err := searchtest.Resolve(h, tc.p)
		assert.ErrorContains(t, err, tc.want)
	}
}

func ExampleObjective() {
	obj := searchtest.Objective{}
	fmt.Printf("initial network: %.2f\n", obj.Cost(graph.Initial(graph.Shape{H: 28, W: 28, C: 1}, 10)))

	// Thirty random morphs from it.
	h, err := searchtest.Run(context.Background(),
		searchtest.RandomMorph{Seed: 1, Initial: graph.Initial(graph.Shape{H: 28, W: 28, C: 1}, 10)},
		30, obj.Cost)
	if err != nil {
		fmt.Println(err)
		return
	}
	best := searchtest.BestSoFar(h)
	fmt.Printf("best after 1, 10, 30 evaluations: %.3f %.3f %.3f\n", best[0], best[9], best[29])
	// Output:
	// initial network: 0.43
	// best after 1, 10, 30 evaluations: 0.430 0.330 0.212
}
