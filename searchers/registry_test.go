package searchers

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/search"
	"github.com/morphnas/morphnas/searchers/smac"
	"github.com/morphnas/morphnas/searchers/spmt"
)

var mnist = graph.Shape{H: 28, W: 28, C: 1}

func TestNames(t *testing.T) {
	names := Names()
	assert.IsIncreasing(t, names)
	for _, want := range []string{"ak", "bfs", "bo", "grid", "random", "seas", "smac", "spmt"} {
		assert.Contains(t, names, want)
	}
}

func TestNewEach(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			s, err := New(name, search.Config{Seed: 1, Initial: graph.Initial(mnist, 10)})
			require.NoError(t, err)
			p, err := s.Propose(context.Background(), &search.History{})
			require.NoError(t, err)
			require.NotNil(t, p.Graph, "first proposal of %s is not a fresh graph", name)
			require.NoError(t, p.Graph.Validate())
		})
	}
}

func TestNewErrors(t *testing.T) {
	_, err := New("nasbot", search.Config{Initial: graph.Initial(mnist, 10)})
	require.ErrorIs(t, err, ErrUnknown)
	assert.ErrorContains(t, err, `"nasbot", want one of ak, bfs,`)

	for _, name := range Names() {
		s, err := New(name, search.Config{})
		require.Error(t, err, name)
		assert.Nil(t, s, "%s: a failed constructor must give a nil interface", name)
		assert.ErrorContains(t, err, "searchers: "+name+": ")
	}
}

// TestSpacesAgree checks that spmt and smac, which keep separate copies of
// the 16-hyperparameter space, build the same network and settings from the
// same normalised point.
func TestSpacesAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range 200 {
		x := make([]float64, spmt.Dims)
		for d := range x {
			x[d] = rng.Float64()
		}
		g1, s1 := spmt.Decode(x).Build(mnist, 10)
		g2, s2 := smac.Decode(x).Build(mnist, 10)
		j1, err := json.Marshal([]any{g1, s1})
		require.NoError(t, err)
		j2, err := json.Marshal([]any{g2, s2})
		require.NoError(t, err)
		require.JSONEq(t, string(j1), string(j2), "point %d: %v", i, x)
	}
	assert.Equal(t, spmt.Dims, smac.Dims)
	assert.Equal(t, spmt.Kernels, smac.Kernels)
	assert.Equal(t, spmt.BatchSizes, smac.BatchSizes)
	assert.Equal(t, spmt.Optimizers, smac.Optimizers)
}
