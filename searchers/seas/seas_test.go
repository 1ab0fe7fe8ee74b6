package seas

import (
	"context"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/search"
	"github.com/morphnas/morphnas/core/search/searchtest"
)

var small = graph.Shape{H: 8, W: 8, C: 1}

func newSEAS(t *testing.T, seed uint64, initial *graph.Graph) *Searcher {
	s, err := New(search.Config{Seed: seed, Initial: initial})
	require.NoError(t, err)
	return s
}

// TestSteps checks the climb on the synthetic objective: the root, a step
// of Children children of it with OpsPerChild operations each, then a step
// from the best of those nine models, then one from the best of the
// seventeen.
func TestSteps(t *testing.T) {
	initial := graph.PlainCNN(small, 3, []graph.ConvSpec{{Units: 4}, {Units: 4}})
	n := 1 + 3*Children
	h, err := searchtest.Run(context.Background(), newSEAS(t, 1, initial), n, searchtest.Objective{}.Cost)
	require.NoError(t, err)
	obs := h.Observations
	require.Len(t, obs, n)
	assert.Zero(t, obs[0].Parent)

	// bestOf is the id of the lowest cost, ties to the earliest.
	bestOf := func(os []search.Observation) int {
		b := os[0]
		for _, o := range os[1:] {
			if o.Cost < b.Cost {
				b = o
			}
		}
		return b.ID
	}
	for step := range 3 {
		want := bestOf(obs[:1+step*Children])
		if step == 0 {
			require.Equal(t, 1, want)
		}
		for _, o := range obs[1+step*Children : 1+(step+1)*Children] {
			require.Equal(t, want, o.Parent, "model %d of step %d", o.ID, step)
			require.Len(t, o.Ops, OpsPerChild, "model %d", o.ID)
		}
	}
	// The climb went down: the best after three steps beats the root.
	assert.Less(t, slices.Min(searchtest.BestSoFar(h)), obs[0].Cost)
}

func TestFailedRoot(t *testing.T) {
	initial := graph.PlainCNN(small, 3, []graph.ConvSpec{{Units: 4}})
	h := &search.History{Observations: []search.Observation{
		{ID: 1, Graph: initial, Hash: initial.Hash(), Failed: true, Reason: "diverged"},
	}}
	_, err := newSEAS(t, 1, initial).Propose(context.Background(), h)
	require.ErrorIs(t, err, search.ErrExhausted)
	assert.ErrorContains(t, err, "seas: no successful model to climb from")
}

// TestFailedChildIsNotAParent makes the best-looking child a failure with
// cost zero: the next step must climb from a successful model.
func TestFailedChildIsNotAParent(t *testing.T) {
	initial := graph.PlainCNN(small, 3, []graph.ConvSpec{{Units: 4}})
	s := newSEAS(t, 1, initial)
	h, err := searchtest.Run(context.Background(), s, 1+Children, searchtest.Objective{}.Cost)
	require.NoError(t, err)
	h.Observations[3].Failed, h.Observations[3].Cost = true, 0
	p, err := s.Propose(context.Background(), h)
	require.NoError(t, err)
	assert.NotEqual(t, h.Observations[3].ID, p.Parent)
	assert.False(t, h.Find(p.Parent).Failed)
}

func TestNewChecksInitial(t *testing.T) {
	_, err := New(search.Config{})
	require.ErrorContains(t, err, "seas: config has no initial architecture")
}
