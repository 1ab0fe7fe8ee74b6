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

// TestNoSuccessYet checks what happens before any model succeeded: with
// the root failed or pending, children of the initial architecture are
// proposed as fresh graphs.
func TestNoSuccessYet(t *testing.T) {
	initial := graph.PlainCNN(small, 3, []graph.ConvSpec{{Units: 4}})
	for name, h := range map[string]*search.History{
		"failed": {Observations: []search.Observation{
			{ID: 1, Graph: initial, Hash: initial.Hash(), Failed: true, Reason: "diverged"},
		}},
		"pending": {Pending: []search.Pending{
			{ID: 1, Proposal: search.Proposal{Graph: initial}, Graph: initial, Hash: initial.Hash()},
		}},
	} {
		p, err := newSEAS(t, 1, initial).Propose(context.Background(), h)
		require.NoError(t, err, name)
		assert.Zero(t, p.Parent, name)
		require.NotNil(t, p.Graph, name)
		require.NoError(t, p.Graph.Validate(), name)
		assert.NotEqual(t, initial.Hash(), p.Graph.Hash(), "%s: no operation applied", name)
	}
}

// TestExhausted: a network without hidden layers offers no operation, so
// there is no child to climb to.
func TestExhausted(t *testing.T) {
	initial := graph.MLP(small, 3, nil)
	h, err := searchtest.Run(context.Background(), newSEAS(t, 1, initial), 3, searchtest.Objective{}.Cost)
	require.ErrorIs(t, err, search.ErrExhausted)
	assert.ErrorContains(t, err, "seas: 100 children of model 1 all seen")
	assert.Len(t, h.Observations, 1)
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
