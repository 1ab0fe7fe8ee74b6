package bayes_test

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/morphnas/morphnas/core/bayes"
	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/morph"
	"github.com/morphnas/morphnas/core/search"
	"github.com/morphnas/morphnas/core/search/searchtest"
)

var input = graph.Shape{H: 16, W: 16, C: 1}

// walk returns a history of n observations from random morphing of a
// two-block CNN, costed by the synthetic objective.
func walk(t testing.TB, seed uint64, n int) *search.History {
	t.Helper()
	init := graph.PlainCNN(input, 5, []graph.ConvSpec{{Units: 16}, {Units: 16}})
	h, err := searchtest.Run(context.Background(), searchtest.RandomMorph{Seed: seed, Initial: init}, n, searchtest.Objective{}.Cost)
	require.NoError(t, err)
	return h
}

func rng(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 99)) }

func TestFitExcludesFailed(t *testing.T) {
	h := walk(t, 1, 6)
	h.Observations[1].Failed = true
	h.Observations[4].Failed = true
	h.Observations[2].Cost = math.NaN()
	s, err := bayes.Fit(h.Observations, bayes.Config{})
	require.NoError(t, err)
	assert.Equal(t, 3, s.N())
	assert.Equal(t, 3, s.Excluded())
	assert.Equal(t, []int{1, 4, 6}, s.IDs())
}

// TestFitDuplicatesAndConstantTargets is the Gaussian process check of the
// issue at the level of the optimizer: 12 architectures, exact duplicates
// among them, all of the same cost. The fit succeeds, keeps all 12, and
// predicts the cost at every training point with a finite, non-negative
// deviation.
func TestFitDuplicatesAndConstantTargets(t *testing.T) {
	h := walk(t, 2, 8)
	obs := h.Observations
	for i := range 4 { // four repeats under new ids
		d := obs[i]
		d.ID = 9 + i
		obs = append(obs, d)
	}
	for i := range obs {
		obs[i].Cost = 0.25
	}
	s, err := bayes.Fit(obs, bayes.Config{})
	require.NoError(t, err)
	assert.Equal(t, 12, s.N())
	for _, o := range obs {
		mu, sd, err := s.PredictGraph(o.Graph)
		require.NoError(t, err)
		assert.InDelta(t, 0.25, mu, 1e-9, "model %d", o.ID)
		assert.False(t, math.IsNaN(sd) || math.IsInf(sd, 0) || sd < 0, "model %d: std %v", o.ID, sd)
	}
}

// TestSurrogateInterpolates checks the update step: at the observed
// architectures the posterior mean reproduces the costs. The noise
// variance is 1e-6 of the normalised targets, so the error is about a
// thousandth of the costs' spread; 1e-2 of it is a safe bound.
func TestSurrogateInterpolates(t *testing.T) {
	h := walk(t, 3, 15)
	s, err := bayes.Fit(h.Observations, bayes.Config{})
	require.NoError(t, err)
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, o := range h.Observations {
		lo, hi = min(lo, o.Cost), max(hi, o.Cost)
	}
	for _, o := range h.Observations {
		mu, sd, err := s.PredictGraph(o.Graph)
		require.NoError(t, err)
		assert.InDelta(t, o.Cost, mu, 1e-2*(hi-lo), "model %d", o.ID)
		assert.Less(t, sd, 0.05*(hi-lo), "model %d: a training point is nearly certain", o.ID)
	}
}

// checkResult checks what Algorithm 1 must return: a successful parent,
// operations that replay on it to the candidate, a candidate new to h, no
// observed architecture on the way (the parent is the nearest observed
// ancestor), and alpha = mu - beta*sigma.
func checkResult(t *testing.T, h *search.History, res bayes.Result, beta float64) {
	t.Helper()
	parent := h.Find(res.Parent)
	require.NotNil(t, parent, "parent %d", res.Parent)
	require.False(t, parent.Failed)
	require.NotEmpty(t, res.Ops)
	g := parent.Graph.Clone(false)
	for k, op := range res.Ops {
		require.NoError(t, morph.Apply(g, op, nil), "op %d %v", k, op)
		if k < len(res.Ops)-1 {
			require.False(t, h.Seen(g.Hash()), "op %d of %d reaches an observed architecture: a nearer ancestor", k+1, len(res.Ops))
		}
	}
	require.NoError(t, g.Validate())
	assert.Equal(t, res.Hash, g.Hash())
	assert.Equal(t, res.Hash, res.Graph.Hash())
	assert.False(t, h.Seen(res.Hash))
	for i, l := range res.Graph.Layers {
		assert.Nil(t, l.Params, "layer %d: candidates are bare architectures", i)
	}
	assert.InDelta(t, res.Mean-beta*res.Std, res.Alpha, 1e-12)
	if res.Improved {
		best := h.Best()
		assert.Less(t, res.Alpha, best.Cost)
	}
}

func TestOptimize(t *testing.T) {
	h := walk(t, 4, 12)
	res, err := bayes.Optimize(context.Background(), h, rng(1), bayes.Config{})
	require.NoError(t, err)
	checkResult(t, h, res, bayes.DefaultBeta)
	// ceil(ln(1e-3) / ln(0.6)) = 14 pops; the queue holds 12 observed
	// models at least, so it cannot run dry first.
	assert.Equal(t, 14, res.Expanded)
	assert.Equal(t, 12, res.Fitted)
	assert.Positive(t, res.Evaluated)
	t.Logf("evaluated %d candidates, alpha %.4f (mean %.4f, std %.4f), %d ops from model %d",
		res.Evaluated, res.Alpha, res.Mean, res.Std, len(res.Ops), res.Parent)

	// Another beta changes the acquisition accordingly.
	res, err = bayes.Optimize(context.Background(), h, rng(1), bayes.Config{Beta: 0.5})
	require.NoError(t, err)
	checkResult(t, h, res, 0.5)
}

// TestTemperatureSchedule checks lines 7 and 8 of Algorithm 1: T starts at
// 1, is multiplied by r at each pop, and the loop stops once T <= T_low.
func TestTemperatureSchedule(t *testing.T) {
	h := walk(t, 5, 10)
	tests := []struct {
		r, tLow float64
		pops    int
	}{
		{0.5, 0.1, 4},   // 0.5, 0.25, 0.125, 0.0625
		{0.9, 0.5, 7},   // 0.9^7 = 0.478
		{0.5, 0.99, 1},  // one pop: the first T, 0.5, is already below
		{0.6, 1e-3, 14}, // the defaults
	}
	for _, tc := range tests {
		res, err := bayes.Optimize(context.Background(), h, rng(2), bayes.Config{R: tc.r, TLow: tc.tLow})
		require.NoError(t, err)
		assert.Equal(t, tc.pops, res.Expanded, "r=%v t_low=%v", tc.r, tc.tLow)
	}
}

// TestFirstPopIsCheapestObserved checks lines 2 to 8: the queue starts with
// the observed models keyed by cost, so with a single pop the proposal is
// one operation on the model of lowest cost.
func TestFirstPopIsCheapestObserved(t *testing.T) {
	h := walk(t, 6, 10)
	res, err := bayes.Optimize(context.Background(), h, rng(3), bayes.Config{R: 0.5, TLow: 0.9})
	require.NoError(t, err)
	require.Equal(t, 1, res.Expanded)
	assert.Equal(t, h.Best().ID, res.Parent)
	assert.Len(t, res.Ops, 1)
}

func TestOptimizeDeterministic(t *testing.T) {
	h := walk(t, 7, 10)
	o, err := bayes.NewOptimizer(bayes.Config{})
	require.NoError(t, err)
	var first bayes.Result
	for i := range 3 {
		// A fresh optimizer and one whose cache is warm give the same.
		a, err := bayes.Optimize(context.Background(), h, rng(4), bayes.Config{})
		require.NoError(t, err)
		b, err := o.Optimize(context.Background(), h, rng(4))
		require.NoError(t, err)
		assert.Equal(t, a.Ops, b.Ops)
		assert.Equal(t, a.Parent, b.Parent)
		assert.Equal(t, a.Alpha, b.Alpha)
		if i == 0 {
			first = a
		}
		assert.Equal(t, first.Hash, a.Hash)
	}
}

// TestPendingAreSkipped asks four times with each answer pending: four
// different new architectures.
func TestPendingAreSkipped(t *testing.T) {
	h := walk(t, 8, 6)
	seen := map[string]bool{}
	for i := range 4 {
		res, err := bayes.Optimize(context.Background(), h, h.Rand(1), bayes.Config{})
		require.NoError(t, err)
		checkResult(t, h, res, bayes.DefaultBeta)
		require.False(t, seen[res.Hash], "proposal %d repeats a pending one", i+1)
		seen[res.Hash] = true
		h.Pending = append(h.Pending, search.Pending{
			ID: 7 + i, Proposal: search.Proposal{Parent: res.Parent, Ops: res.Ops},
			Graph: res.Graph, Hash: res.Hash,
		})
	}
}

func TestNoObservations(t *testing.T) {
	_, err := bayes.Optimize(context.Background(), &search.History{}, rng(1), bayes.Config{})
	assert.ErrorIs(t, err, bayes.ErrNoObservations)

	h := walk(t, 9, 3)
	for i := range h.Observations {
		h.Observations[i].Failed = true
	}
	_, err = bayes.Optimize(context.Background(), h, rng(1), bayes.Config{})
	assert.ErrorIs(t, err, bayes.ErrNoObservations)
	assert.ErrorContains(t, err, "3 observations, all failed or without a cost")
}

func TestSizeLimits(t *testing.T) {
	h := walk(t, 10, 8)
	largest := 0
	for _, o := range h.Observations {
		n, err := o.Graph.ParamCount()
		require.NoError(t, err)
		largest = max(largest, n)
	}
	res, err := bayes.Optimize(context.Background(), h, rng(5), bayes.Config{MaxParams: largest})
	require.NoError(t, err)
	n, err := res.Graph.ParamCount()
	require.NoError(t, err)
	assert.LessOrEqual(t, n, largest)

	// Every morph adds parameters, so a limit below every observed model
	// leaves no candidate.
	_, err = bayes.Optimize(context.Background(), h, rng(5), bayes.Config{MaxParams: 10})
	assert.ErrorIs(t, err, bayes.ErrNoCandidate)

	mem, err := h.Observations[0].Graph.MemoryBytes(64)
	require.NoError(t, err)
	_, err = bayes.Optimize(context.Background(), h, rng(5), bayes.Config{MaxMemory: mem / 2})
	assert.ErrorIs(t, err, bayes.ErrNoCandidate)
}

func TestCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := bayes.Optimize(ctx, walk(t, 11, 3), rng(1), bayes.Config{})
	assert.True(t, errors.Is(err, context.Canceled), "got %v", err)
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		cfg  bayes.Config
		want string
	}{
		{bayes.Config{Beta: -1}, "bayes: config beta -1"},
		{bayes.Config{Lambda: math.NaN()}, "bayes: config lambda NaN"},
		{bayes.Config{R: 1}, "bayes: config r 1, want in (0, 1)"},
		{bayes.Config{TLow: 2}, "bayes: config t_low 2, want in (0, 1)"},
		{bayes.Config{MaxParams: -1}, "bayes: config limits must not be negative"},
		{bayes.Config{Length: -1}, "bayes: config length -1, want finite and >= 0"},
		{bayes.Config{Length: math.Inf(1)}, "bayes: config length +Inf"},
		{bayes.Config{Lengths: []float64{1, 0}}, "bayes: config lengths[1] 0, want finite and > 0"},
	}
	for _, tc := range tests {
		assert.ErrorContains(t, tc.cfg.Check(), tc.want, "%+v", tc.cfg)
		_, err := bayes.NewOptimizer(tc.cfg)
		assert.Error(t, err)
	}
	assert.NoError(t, bayes.Config{}.Check())
}

// TestConcurrentUse runs one Optimizer from four goroutines; each gets what
// a fresh optimizer gives (run with -race to check the cache's locking).
func TestConcurrentUse(t *testing.T) {
	h := walk(t, 12, 8)
	want, err := bayes.Optimize(context.Background(), h, rng(6), bayes.Config{})
	require.NoError(t, err)
	o, err := bayes.NewOptimizer(bayes.Config{})
	require.NoError(t, err)
	got := make([]bayes.Result, 4)
	errs := make([]error, 4)
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() { got[i], errs[i] = o.Optimize(context.Background(), h, rng(6)) })
	}
	wg.Wait()
	for i := range got {
		require.NoError(t, errs[i])
		assert.Equal(t, want.Hash, got[i].Hash, "goroutine %d", i)
		assert.Equal(t, want.Ops, got[i].Ops, "goroutine %d", i)
	}
}

// TestWeightsNotTouched gives the observations weights: the candidates are
// still bare, and the observed graphs keep their weights unchanged.
func TestWeightsNotTouched(t *testing.T) {
	h := walk(t, 13, 5)
	for i := range h.Observations {
		require.NoError(t, h.Observations[i].Graph.InitWeights(rng(uint64(i))))
	}
	before := h.Observations[0].Graph.Clone(true)
	res, err := bayes.Optimize(context.Background(), h, rng(7), bayes.Config{})
	require.NoError(t, err)
	for i, l := range res.Graph.Layers {
		assert.Nil(t, l.Params, "layer %d of the candidate has weights", i)
	}
	assert.Equal(t, before, h.Observations[0].Graph)
}
