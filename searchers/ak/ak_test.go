package ak

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/search"
	"github.com/morphnas/morphnas/core/search/searchtest"
)

// small is the initial architecture of the fast tests: one conv block on
// 8x8 images, so that the networks a search grows stay small.
func small() *graph.Graph {
	return graph.PlainCNN(graph.Shape{H: 8, W: 8, C: 1}, 3, []graph.ConvSpec{{Units: 8}})
}

func newSearcher(t testing.TB, seed uint64, initial *graph.Graph) *Searcher {
	t.Helper()
	s, err := New(search.Config{Seed: seed, Initial: initial})
	require.NoError(t, err)
	return s
}

func TestConformance(t *testing.T) {
	initial := small()
	searchtest.Conformance(t, func(seed uint64) search.Searcher {
		return newSearcher(t, seed, initial)
	}, initial)
}

func TestNewErrors(t *testing.T) {
	_, err := New(search.Config{})
	assert.ErrorContains(t, err, "ak: config has no initial architecture")
	_, err = NewWith(Config{Initial: small(), R: 1.5})
	assert.ErrorContains(t, err, "ak: bayes: config r 1.5, want in (0, 1)")
	_, err = NewWith(Config{Initial: small(), Length: -1})
	assert.ErrorContains(t, err, "ak: bayes: config length -1")
	s, err := NewWith(Config{Initial: small(), Length: 2})
	require.NoError(t, err)
	assert.Equal(t, 2.0, s.opt.Config().Length, "the length scale reaches the optimizer")
	bad := graph.New(graph.Shape{H: 8, W: 8, C: 1}, 3)
	_, err = NewWith(Config{Initial: bad})
	assert.ErrorContains(t, err, "ak: initial architecture")
}

func TestFirstProposalIsInitial(t *testing.T) {
	initial := small()
	p, err := newSearcher(t, 1, initial).Propose(context.Background(), &search.History{})
	require.NoError(t, err)
	assert.Zero(t, p.Parent)
	require.NotNil(t, p.Graph)
	assert.Equal(t, initial.Hash(), p.Graph.Hash())
	assert.NotSame(t, initial, p.Graph, "the proposal must not share the config's graph")
}

// proposeWhilePending asks s for k proposals in a row, each recorded as
// pending before the next is asked, and returns their architectures.
func proposeWhilePending(t *testing.T, s search.Searcher, h *search.History, k int) []string {
	t.Helper()
	var hashes []string
	next := len(h.Observations) + 1
	for i := range k {
		p, err := s.Propose(context.Background(), h)
		require.NoError(t, err, "proposal %d", i+1)
		g, err := searchtest.Resolve(h, p)
		require.NoError(t, err, "proposal %d", i+1)
		hashes = append(hashes, g.Hash())
		h.Pending = append(h.Pending, search.Pending{ID: next, Proposal: p, Graph: g, Hash: g.Hash()})
		next++
	}
	return hashes
}

// TestFourPendingProposalsDiffer asks four times before any result comes
// back, from an empty history and from one of three observed models: the
// four architectures are all different, and new.
func TestFourPendingProposalsDiffer(t *testing.T) {
	initial := graph.Initial(graph.Shape{H: 28, W: 28, C: 1}, 10)
	obj := searchtest.Objective{}

	t.Run("empty history", func(t *testing.T) {
		hashes := proposeWhilePending(t, newSearcher(t, 3, initial), &search.History{}, 4)
		assert.Equal(t, initial.Hash(), hashes[0])
		assertDistinct(t, hashes, nil)
	})
	t.Run("three observed", func(t *testing.T) {
		s := newSearcher(t, 3, initial)
		h, err := searchtest.Run(context.Background(), s, 3, obj.Cost)
		require.NoError(t, err)
		observed := map[string]bool{}
		for _, o := range h.Observations {
			observed[o.Hash] = true
		}
		hashes := proposeWhilePending(t, s, h, 4)
		assertDistinct(t, hashes, observed)
		for _, p := range h.Pending {
			assert.NotZero(t, p.Proposal.Parent, "with observed models AK morphs one")
		}
	})
}

func assertDistinct(t *testing.T, hashes []string, observed map[string]bool) {
	t.Helper()
	seen := map[string]int{}
	for i, h := range hashes {
		if j, ok := seen[h]; ok {
			t.Fatalf("proposals %d and %d have the same architecture %.12s", j+1, i+1, h)
		}
		seen[h] = i
		assert.False(t, observed[h], "proposal %d repeats an observed architecture", i+1)
	}
}

// TestDeterministic checks that two searchers of one seed propose the same
// sequence against the synthetic objective, and another seed does not.
func TestDeterministic(t *testing.T) {
	initial := small()
	obj := searchtest.Objective{}
	run := func(seed uint64) []string {
		h, err := searchtest.Run(context.Background(), newSearcher(t, seed, initial), 8, obj.Cost)
		require.NoError(t, err)
		var out []string
		for _, o := range h.Observations {
			out = append(out, fmt.Sprintf("%d %v %s", o.Parent, o.Ops, o.Hash))
		}
		return out
	}
	a, b, c := run(5), run(5), run(6)
	assert.Equal(t, a, b)
	assert.NotEqual(t, a, c)
}

func TestAllFailedGivesFreshGraphs(t *testing.T) {
	initial := small()
	s := newSearcher(t, 2, initial)
	h := &search.History{}
	for id := 1; id <= 5; id++ {
		p, err := s.Propose(context.Background(), h)
		require.NoError(t, err)
		require.Zero(t, p.Parent, "a failed model has no weights to inherit")
		require.NoError(t, p.Graph.Validate())
		require.False(t, h.Seen(p.Graph.Hash()))
		h.Observations = append(h.Observations, search.Observation{
			ID: id, Graph: p.Graph, Hash: p.Graph.Hash(), Failed: true, Reason: "diverged",
		})
	}
}

func TestCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := newSearcher(t, 1, small()).Propose(ctx, &search.History{})
	assert.ErrorIs(t, err, context.Canceled)
}

// TestBeatsRandomMorphing runs AK and random morphing (one random operation
// on a random observed model) for 30 evaluations each on the synthetic
// objective, from the paper's initial network, and compares the best cost
// reached, in the mean over 20 seeds (5 with -short). The objective is
// smooth in depth, widths and skips, which the kernel sees, so a working
// Gaussian process must guide the search better than chance.
func TestBeatsRandomMorphing(t *testing.T) {
	seeds := 20
	if testing.Short() {
		seeds = 5
	}
	const evals = 30
	initial := graph.Initial(graph.Shape{H: 28, W: 28, C: 1}, 10)
	obj := searchtest.Objective{}

	type result struct{ ak, random float64 }
	results := make([]result, seeds)
	errs := make([]error, seeds)
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	start := time.Now()
	for i := range seeds {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			seed := uint64(100 + i)
			s, err := New(search.Config{Seed: seed, Initial: initial})
			if err != nil {
				errs[i] = err
				return
			}
			ha, err := searchtest.Run(context.Background(), s, evals, obj.Cost)
			if err != nil {
				errs[i] = fmt.Errorf("ak seed %d: %w", seed, err)
				return
			}
			hr, err := searchtest.Run(context.Background(), searchtest.RandomMorph{Seed: seed, Initial: initial}, evals, obj.Cost)
			if err != nil && !errors.Is(err, search.ErrExhausted) {
				errs[i] = fmt.Errorf("random seed %d: %w", seed, err)
				return
			}
			results[i] = result{searchtest.BestSoFar(ha)[evals-1], searchtest.BestSoFar(hr)[len(hr.Observations)-1]}
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	var ak, random float64
	wins := 0
	for _, r := range results {
		ak += r.ak / float64(seeds)
		random += r.random / float64(seeds)
		if r.ak < r.random {
			wins++
		}
	}
	t.Logf("mean best cost after %d evaluations over %d seeds: ak %.4f, random morphing %.4f (ak better on %d seeds; %v)",
		evals, seeds, ak, random, wins, time.Since(start).Round(time.Millisecond))
	assert.Less(t, ak, random)
}

func TestNeighboursBeforeOptimization(t *testing.T) {
	initial := graph.Initial(graph.Shape{H: 28, W: 28, C: 1}, 10)
	for _, n := range []int{-1, 0, 5} {
		s, err := NewWith(Config{Seed: 3, Initial: initial, Neighbours: n})
		require.NoError(t, err)
		h, err := searchtest.Run(context.Background(), s, 9, searchtest.Objective{}.Cost)
		require.NoError(t, err)
		want := n
		if n == 0 {
			want = DefaultNeighbours
		}
		if n < 0 {
			want = 0
		}
		// Models 2 to want+1 are single operations on the initial model;
		// model want+2 comes from Algorithm 1, which here always jumps more
		// than one operation away from its parent or morphs another model.
		for _, o := range h.Observations[1 : want+1] {
			assert.Equal(t, 1, o.Parent, "neighbours %d, model %d", n, o.ID)
			assert.Len(t, o.Ops, 1, "neighbours %d, model %d", n, o.ID)
		}
		next := h.Observations[want+1]
		assert.False(t, next.Parent == 1 && len(next.Ops) == 1, "neighbours %d: model %d looks like a neighbour: %v", n, next.ID, next.Ops)
	}
}
