package bayes_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/morphnas/morphnas/core/bayes"
	"github.com/morphnas/morphnas/core/gp"
	"github.com/morphnas/morphnas/core/kernel"
	"github.com/morphnas/morphnas/core/search"
)

// refit fits the Gaussian process of obs (all successful) by hand at length
// scale l: the kernel built afresh with Config.Length, then gp.Fit.
func refit(t *testing.T, obs []search.Observation, l float64) (*kernel.Kernel, *gp.Model) {
	t.Helper()
	archs := make([]kernel.Arch, len(obs))
	costs := make([]float64, len(obs))
	for i, o := range obs {
		archs[i] = kernel.MustDescribe(o.Graph)
		costs[i] = o.Cost
	}
	k, err := kernel.New(archs, kernel.Config{Length: l})
	require.NoError(t, err)
	m, err := gp.Fit(k.Matrix(), costs, gp.Config{})
	require.NoError(t, err)
	return k, m
}

// TestLengthChosenByLikelihood checks the choice against a brute force: the
// log marginal likelihood of each grid value, refitted by hand, and the
// chosen one their maximum, or 1 when that is within LengthMargin of it.
// Histories costed by the synthetic objective and by noise both occur.
// Predictions use the chosen scale.
func TestLengthChosenByLikelihood(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	kept := 0
	for seed := range uint64(8) {
		h := walk(t, 10+seed, 25)
		if seed%2 == 1 {
			for i := range h.Observations {
				h.Observations[i].Cost = r.Float64()
			}
		}
		s, err := bayes.Fit(h.Observations, bayes.Config{})
		require.NoError(t, err)
		grid := bayes.DefaultLengths()
		require.Len(t, s.Tried(), len(grid))
		best, bestL, at1 := math.Inf(-1), 0.0, math.NaN()
		for i, tr := range s.Tried() {
			assert.Equal(t, grid[i], tr.Length)
			_, m := refit(t, h.Observations, tr.Length)
			require.InDelta(t, m.LogMarginalLikelihood(), tr.LogML, 1e-9, "seed %d l=%v", seed, tr.Length)
			if tr.LogML > best {
				best, bestL = tr.LogML, tr.Length
			}
			if tr.Length == 1 {
				at1 = tr.LogML
			}
		}
		if bestL != 1 && at1 >= best-bayes.LengthMargin {
			best, bestL = at1, 1
			kept++
		}
		assert.Equal(t, bestL, s.Length(), "seed %d", seed)
		assert.Equal(t, bestL, s.Kernel().Length())
		assert.Equal(t, best, s.Model().LogMarginalLikelihood())

		// A candidate is predicted with the kernel of the fit.
		k, m := refit(t, h.Observations, bestL)
		cand := kernel.MustDescribe(walk(t, 50+seed, 3).Observations[2].Graph)
		wantMu, wantSd := m.Predict(k.Row(cand), 1)
		mu, sd := s.Predict(cand)
		assert.InDelta(t, wantMu, mu, 1e-12)
		assert.InDelta(t, wantSd, sd, 1e-12)
	}
	t.Logf("l = 1 kept within the margin on %d of 8 histories", kept)
	assert.Positive(t, kept, "the margin rule was exercised")
}

// TestLengthFollowsStructure checks that the likelihood reads the data: on
// the synthetic objective, whose cost changes little per morph, it picks a
// longer scale than on the same architectures with their costs replaced by
// independent noise, which no scale above the smallest explains.
func TestLengthFollowsStructure(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for seed := range uint64(3) {
		h := walk(t, 20+seed, 30)
		smooth, err := bayes.Fit(h.Observations, bayes.Config{})
		require.NoError(t, err)
		noisy := append([]search.Observation(nil), h.Observations...)
		for i := range noisy {
			noisy[i].Cost = r.Float64()
		}
		rough, err := bayes.Fit(noisy, bayes.Config{})
		require.NoError(t, err)
		t.Logf("seed %d: synthetic objective l = %.3g, noise l = %.3g", seed, smooth.Length(), rough.Length())
		assert.Greater(t, smooth.Length(), rough.Length(), "seed %d", seed)
	}
}

// TestFixedLength checks that Config.Length fixes the scale, l = 1 giving
// the paper's kernel exp(-rho^2) fitted by hand.
func TestFixedLength(t *testing.T) {
	h := walk(t, 7, 15)
	for _, l := range []float64{1, 3} {
		s, err := bayes.Fit(h.Observations, bayes.Config{Length: l})
		require.NoError(t, err)
		assert.Equal(t, l, s.Length())
		require.Len(t, s.Tried(), 1)
		k, m := refit(t, h.Observations, l)
		assert.Equal(t, k.Matrix(), s.Kernel().Matrix())
		assert.InDelta(t, m.LogMarginalLikelihood(), s.Tried()[0].LogML, 1e-12)
	}
	// A one-value grid is the same as fixing that value.
	s, err := bayes.Fit(h.Observations, bayes.Config{Lengths: []float64{3}})
	require.NoError(t, err)
	assert.Equal(t, 3.0, s.Length())
}

// TestLengthDeterministic fits the same history twice.
func TestLengthDeterministic(t *testing.T) {
	h := walk(t, 8, 20)
	a, err := bayes.Fit(h.Observations, bayes.Config{Seed: 5})
	require.NoError(t, err)
	b, err := bayes.Fit(h.Observations, bayes.Config{Seed: 5})
	require.NoError(t, err)
	assert.Equal(t, a.Tried(), b.Tried())
	assert.Equal(t, a.Kernel().Matrix(), b.Kernel().Matrix())
}

func TestDefaultLengths(t *testing.T) {
	g := bayes.DefaultLengths()
	require.Len(t, g, 9)
	assert.InDelta(t, 0.5, g[0], 1e-15)
	assert.InDelta(t, 8, g[8], 1e-12)
	assert.Contains(t, g, kernel.DefaultLength)
	for i := 1; i < len(g); i++ {
		assert.InDelta(t, math.Sqrt2, g[i]/g[i-1], 1e-12)
	}
	g[0] = 100
	assert.InDelta(t, 0.5, bayes.DefaultLengths()[0], 1e-15, "a fresh slice each call")
}
