package bfs

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/morph"
	"github.com/morphnas/morphnas/core/search"
	"github.com/morphnas/morphnas/core/search/searchtest"
)

var small = graph.Shape{H: 8, W: 8, C: 1}

// pseudo is an arbitrary fixed cost of an architecture.
func pseudo(g *graph.Graph) float64 { return searchtest.PseudoCost(g.Hash()) }

func newBFS(t *testing.T, seed uint64, initial *graph.Graph) *Searcher {
	s, err := New(search.Config{Seed: seed, Initial: initial})
	require.NoError(t, err)
	return s
}

// childHashes returns the distinct architectures one operation away from g.
func childHashes(t *testing.T, g *graph.Graph) map[string]bool {
	out := map[string]bool{}
	for _, op := range morph.Options(g) {
		c := g.Clone(false)
		require.NoError(t, morph.Apply(c, op, nil))
		out[c.Hash()] = true
	}
	return out
}

// TestBreadthFirst checks the order of the walk: the root, then every
// child of the root (one operation each, all of them, none twice), then
// children of model 2, the root's first child.
func TestBreadthFirst(t *testing.T) {
	initial := graph.PlainCNN(small, 3, []graph.ConvSpec{{Units: 4}, {Units: 4}})
	kids := childHashes(t, initial)
	require.Greater(t, len(kids), 3)
	n := 1 + len(kids) + 2
	h, err := searchtest.Run(context.Background(), newBFS(t, 1, initial), n, pseudo)
	require.NoError(t, err)
	require.Len(t, h.Observations, n)

	obs := h.Observations
	assert.Zero(t, obs[0].Parent)
	assert.Equal(t, initial.Hash(), obs[0].Hash)
	got := map[string]bool{}
	for _, o := range obs[1 : 1+len(kids)] {
		require.Equal(t, 1, o.Parent, "model %d", o.ID)
		require.Len(t, o.Ops, 1)
		require.True(t, kids[o.Hash], "model %d is not a child of the root", o.ID)
		got[o.Hash] = true
	}
	assert.Len(t, got, len(kids))
	for _, o := range obs[1+len(kids):] {
		assert.Equal(t, 2, o.Parent, "model %d", o.ID)
	}
}

func TestSeededOrder(t *testing.T) {
	initial := graph.PlainCNN(small, 3, []graph.ConvSpec{{Units: 4}, {Units: 4}})
	order := func(seed uint64) []string {
		h, err := searchtest.Run(context.Background(), newBFS(t, seed, initial), 6, pseudo)
		require.NoError(t, err)
		var out []string
		for _, o := range h.Observations {
			out = append(out, o.Hash)
		}
		return out
	}
	assert.Equal(t, order(1), order(1))
	assert.NotEqual(t, order(1), order(2))
}

// TestNoSuccessYet checks what happens before any model succeeded: the
// children of a failed or pending root are proposed as fresh graphs.
func TestNoSuccessYet(t *testing.T) {
	initial := graph.PlainCNN(small, 3, []graph.ConvSpec{{Units: 4}})
	kids := childHashes(t, initial)
	s := newBFS(t, 1, initial)
	for name, h := range map[string]*search.History{
		"failed": {Observations: []search.Observation{
			{ID: 1, Graph: initial, Hash: initial.Hash(), Failed: true, Reason: "out of memory"},
		}},
		"pending": {Pending: []search.Pending{
			{ID: 1, Proposal: search.Proposal{Graph: initial}, Graph: initial, Hash: initial.Hash()},
		}},
	} {
		p, err := s.Propose(context.Background(), h)
		require.NoError(t, err, name)
		assert.Zero(t, p.Parent, name)
		require.NotNil(t, p.Graph, name)
		assert.True(t, kids[p.Graph.Hash()], "%s: not a child of the root", name)
	}
}

// TestExhausted walks a space that ends: a network without hidden layers
// offers no operation, so after it is observed nothing is left.
func TestExhausted(t *testing.T) {
	initial := graph.MLP(small, 3, nil)
	require.Empty(t, morph.Options(initial))
	h, err := searchtest.Run(context.Background(), newBFS(t, 1, initial), 3, pseudo)
	require.ErrorIs(t, err, search.ErrExhausted)
	assert.ErrorContains(t, err, "bfs: all 1 successful and 0 pending models fully expanded")
	assert.Len(t, h.Observations, 1)
}

func TestNewChecksInitial(t *testing.T) {
	_, err := New(search.Config{})
	require.ErrorContains(t, err, "bfs: config has no initial architecture")
	_, err = New(search.Config{Initial: graph.New(small, 3)})
	require.ErrorContains(t, err, "bfs: initial architecture: graph:")
}
