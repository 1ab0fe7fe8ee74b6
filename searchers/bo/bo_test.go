package bo

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/morphnas/morphnas/core/bayes"
	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/search"
	"github.com/morphnas/morphnas/core/search/searchtest"
)

var small = graph.Shape{H: 8, W: 8, C: 1}

// TestFreshGraphsOfTheOptimizer checks that every proposal after the first
// is a fresh graph, the one core/bayes chooses on the same history and
// random source.
func TestFreshGraphsOfTheOptimizer(t *testing.T) {
	initial := graph.PlainCNN(small, 3, []graph.ConvSpec{{Units: 4}, {Units: 4}})
	s, err := New(search.Config{Seed: 3, Initial: initial})
	require.NoError(t, err)
	h, err := searchtest.Run(context.Background(), s, 6, searchtest.Objective{}.Cost)
	require.NoError(t, err)
	assert.Equal(t, initial.Hash(), h.Observations[0].Hash)
	for k, o := range h.Observations {
		require.Zero(t, o.Parent, "model %d has a parent", o.ID)
		require.Empty(t, o.Ops)
		if k == 0 {
			continue
		}
		prefix := &search.History{Observations: h.Observations[:k]}
		res, err := bayes.Optimize(context.Background(), prefix, prefix.Rand(3), bayes.Config{Seed: 3})
		require.NoError(t, err)
		assert.Equal(t, res.Hash, o.Hash, "model %d", o.ID)
	}
}

// TestNoSuccessYet checks what happens before any model succeeded: with
// the root failed or pending, random morphs of it are proposed as fresh
// graphs; with nothing to morph, the space is exhausted.
func TestNoSuccessYet(t *testing.T) {
	initial := graph.PlainCNN(small, 3, []graph.ConvSpec{{Units: 4}})
	s, err := New(search.Config{Seed: 1, Initial: initial})
	require.NoError(t, err)
	for name, h := range map[string]*search.History{
		"failed": {Observations: []search.Observation{
			{ID: 1, Graph: initial, Hash: initial.Hash(), Failed: true, Reason: "diverged"},
		}},
		"pending": {Pending: []search.Pending{
			{ID: 1, Proposal: search.Proposal{Graph: initial}, Graph: initial, Hash: initial.Hash()},
		}},
	} {
		p, err := s.Propose(context.Background(), h)
		require.NoError(t, err, name)
		assert.Zero(t, p.Parent, name)
		require.NoError(t, p.Graph.Validate(), name)
		assert.NotEqual(t, initial.Hash(), p.Graph.Hash(), name)
	}

	bare := graph.MLP(small, 3, nil)
	s, err = New(search.Config{Seed: 1, Initial: bare})
	require.NoError(t, err)
	_, err = s.Propose(context.Background(), &search.History{Observations: []search.Observation{
		{ID: 1, Graph: bare, Hash: bare.Hash(), Failed: true, Reason: "diverged"},
	}})
	require.ErrorIs(t, err, search.ErrExhausted)
	assert.ErrorContains(t, err, "bo: no successful model yet and 100 random morphs")
}

func TestNewChecksInitial(t *testing.T) {
	_, err := New(search.Config{})
	require.ErrorContains(t, err, "bo: config has no initial architecture")
}
