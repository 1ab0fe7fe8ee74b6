package spmt

import (
	"github.com/morphnas/morphnas/core/hyper"
	"math"

	"context"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/search"
)

// bowl is a smooth cost on the normalised space, lowest (0) at 0.3 in every
// dimension.
func bowl(x []float64) float64 {
	c := 0.0
	for _, v := range x {
		c += (v - 0.3) * (v - 0.3)
	}
	return c
}

// runBowl runs s for n proposals on bowl and returns the lowest cost.
func runBowl(t *testing.T, s search.Searcher, n int) float64 {
	h := &search.History{}
	best := 1e9
	for id := 1; id <= n; id++ {
		p, err := s.Propose(context.Background(), h)
		require.NoError(t, err)
		q, ok := hyper.Recover(p.Graph, p.Settings)
		require.True(t, ok, "proposal %d outside the space", id)
		c := bowl(hyper.Encode(q))
		best = min(best, c)
		h.Observations = append(h.Observations, search.Observation{
			ID: id, Graph: p.Graph, Hash: p.Graph.Hash(), Settings: p.Settings, Cost: c, Metric: 1 - c,
		})
	}
	return best
}

// TestBeatsRandomOnBowl checks that the GP guides the search: on a smooth
// cost, 25 proposals find a lower mean best cost over 5 seeds than 25
// uniform samples. Uniform samples have an expected cost near 16 * 0.1233
// (the mean of (u - 0.3)^2 is 1/3 - 0.3 + 0.09 = 0.1233), the best of 25
// rarely below 1.
func TestBeatsRandomOnBowl(t *testing.T) {
	const seeds, n = 5, 25
	var gpMean, randMean float64
	for seed := range uint64(seeds) {
		s, err := New(search.Config{Seed: seed, Initial: graph.Initial(mnist, 10)})
		require.NoError(t, err)
		gpMean += runBowl(t, s, n) / seeds

		rng := rand.New(rand.NewPCG(seed, 99))
		best := 1e9
		for range n {
			best = min(best, bowl(hyper.Encode(hyper.Sample(rng))))
		}
		randMean += best / seeds
	}
	t.Logf("mean best of %d proposals over %d seeds: gp-ei %.3f, uniform %.3f", n, seeds, gpMean, randMean)
	assert.Less(t, gpMean, randMean)
}

func TestNewNeedsInitial(t *testing.T) {
	_, err := New(search.Config{Seed: 1})
	require.ErrorContains(t, err, "spmt: config has no initial architecture")
}

func TestInitialDesignThenModel(t *testing.T) {
	// The first InitialDesign proposals are uniform samples: the same as
	// hyper.Sample draws from History.Rand.
	s, err := New(search.Config{Seed: 5, Initial: graph.Initial(mnist, 10)})
	require.NoError(t, err)
	h := &search.History{}
	for id := 1; id <= InitialDesign; id++ {
		p, err := s.Propose(context.Background(), h)
		require.NoError(t, err)
		want, _ := hyper.Sample(h.Rand(5)).Build(mnist, 10)
		assert.Equal(t, want.Hash(), p.Graph.Hash(), "proposal %d", id)
		h.Observations = append(h.Observations, search.Observation{ID: id, Graph: p.Graph, Hash: p.Graph.Hash(), Settings: p.Settings, Cost: 0.5})
	}
}

func TestMatern52(t *testing.T) {
	a := []float64{0.1, 0.2}
	assert.Equal(t, 1.0, matern52(a, a, 1))
	// r = sqrt(5)*0.5/1: (1 + r + r^2/3) exp(-r) by hand.
	r := math.Sqrt(5) * 0.5
	assert.InDelta(t, (1+r+r*r/3)*math.Exp(-r), matern52(a, []float64{0.4, 0.6}, 1), 1e-15)
	assert.Greater(t, matern52(a, []float64{0.2, 0.2}, 1), matern52(a, []float64{0.5, 0.2}, 1))
}

var mnist = graph.Shape{H: 28, W: 28, C: 1}
