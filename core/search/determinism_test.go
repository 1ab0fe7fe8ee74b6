package search

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/morphnas/morphnas/core/graph"
)

// historySearcher wraps a searcher and records, for each call, the model
// id the proposal will get and the history it was given, as the ids of
// the observations and of the pending proposals. It sleeps a drawn time
// before each answer. When block is set, the call for that id waits until
// its context is cancelled, once.
type historySearcher struct {
	inner Searcher
	block int

	mu    sync.Mutex
	r     *rand.Rand
	calls []string
}

func (s *historySearcher) Propose(ctx context.Context, h *History) (Proposal, error) {
	next := len(h.Observations) + len(h.Pending) + 1
	var b strings.Builder
	fmt.Fprintf(&b, "%d: observed", next)
	for _, o := range h.Observations {
		fmt.Fprintf(&b, " %d", o.ID)
	}
	b.WriteString(", pending")
	for _, p := range h.Pending {
		fmt.Fprintf(&b, " %d", p.ID)
	}
	s.mu.Lock()
	s.calls = append(s.calls, b.String())
	sleep := time.Duration(s.r.IntN(1500)) * time.Microsecond
	block := s.block == next
	if block {
		s.block = 0
	}
	s.mu.Unlock()
	if block {
		<-ctx.Done()
		return Proposal{}, ctx.Err()
	}
	time.Sleep(sleep)
	return s.inner.Propose(ctx, h)
}

// jitterTrainer is a fakeTrainer whose epochs take a drawn time of up to
// 1.5 ms.
func jitterTrainer(seed uint64) *fakeTrainer {
	var mu sync.Mutex
	r := rand.New(rand.NewPCG(seed, 3))
	return &fakeTrainer{epochs: 3, after: func(int, int) {
		mu.Lock()
		d := time.Duration(r.IntN(1500)) * time.Microsecond
		mu.Unlock()
		time.Sleep(d)
	}}
}

func TestHistoryIndependentOfTiming(t *testing.T) {
	// With one worker and a queue of one, the history of every proposal
	// depends only on the seed and the earlier observations: an
	// uninterrupted search and one with other timings, stopped three times
	// at the moment where a model is observed while the proposal that
	// follows it is still being made, see the same histories.
	const models = 10
	options := func(dir string, seed uint64) Options {
		return Options{
			Dir: dir, Trainer: jitterTrainer(seed), Seed: 5, Apply: fakeApply,
			Budget: Budget{Models: models}, Crashes: -1,
			Record: Record{Searcher: "seq", Profile: "smoke"},
		}
	}
	searcher := func(seed uint64) *historySearcher {
		return &historySearcher{inner: &seqSearcher{seed: 21, fresh: 3}, r: rand.New(rand.NewPCG(seed, 4))}
	}

	ref := searcher(1)
	refOpts := options(t.TempDir(), 1)
	want, err := Run(context.Background(), ref, refOpts)
	require.NoError(t, err)
	require.Len(t, want.History.Observations, models)
	require.Len(t, ref.calls, models)

	dir := t.TempDir()
	var calls []string
	for i, k := range []int{2, 5, 8} {
		// Proposal k+1 is asked for when model k starts and waits until
		// the search is cancelled, which happens as model k is observed.
		s := searcher(uint64(10 + i))
		s.block = k + 1
		ctx, cancel := context.WithCancel(context.Background())
		opts := options(dir, uint64(10+i))
		opts.OnProgress = func(p Progress) {
			if p.Models >= k {
				cancel()
			}
		}
		_, err := Run(ctx, s, opts)
		cancel()
		require.ErrorIs(t, err, context.Canceled, "stop at model %d", k)
		calls = append(calls, s.calls...)
	}
	last := searcher(20)
	got, err := Run(context.Background(), last, options(dir, 20))
	require.NoError(t, err)
	calls = append(calls, last.calls...)

	// Every call, the cancelled ones and those repeated on resume
	// included, got the history the uninterrupted search gave for the
	// same id.
	byID := map[int]string{}
	for _, c := range ref.calls {
		var id int
		fmt.Sscanf(c, "%d:", &id)
		byID[id] = c
	}
	for _, c := range calls {
		var id int
		fmt.Sscanf(c, "%d:", &id)
		assert.Equal(t, byID[id], c, "history of proposal %d", id)
	}
	require.Len(t, got.History.Observations, models)
	for i := range want.History.Observations {
		a, b := want.History.Observations[i], got.History.Observations[i]
		a.Seconds, b.Seconds, a.Elapsed, b.Elapsed = 0, 0, 0, 0
		assert.Equal(t, a, b, "observation %d", i)
	}
	// The reference hides exactly the latest model from each proposal
	// after the first: model k is pending for proposal k+1.
	for id := 2; id <= models; id++ {
		assert.Contains(t, byID[id], fmt.Sprintf("pending %d", id-1))
	}
}

// lateExhausted proposes fresh MLPs of the listed widths in order, but
// answers ErrExhausted while a model is pending, after waiting until model
// 1 is observed: a loop that decided by what finished meanwhile, rather
// than by the history it gave, would then stop the search.
type lateExhausted struct {
	widths   []int
	observed chan struct{}
}

func (s *lateExhausted) Propose(ctx context.Context, h *History) (Proposal, error) {
	n := len(h.Observations) + len(h.Pending)
	if len(h.Pending) > 0 {
		select {
		case <-s.observed:
		case <-ctx.Done():
			return Proposal{}, ctx.Err()
		}
		return Proposal{}, ErrExhausted
	}
	if n >= len(s.widths) {
		return Proposal{}, ErrExhausted
	}
	return Proposal{Graph: testMLP(s.widths[n])}, nil
}

func TestExhaustedWithPendingWaits(t *testing.T) {
	// The searcher is exhausted for every history with a pending model and
	// says so only after that model is observed. It is asked again with
	// the whole history each time, so all three models train, one after
	// the other; each such history is followed by a reveal event.
	s := &lateExhausted{widths: []int{4, 5, 6}, observed: make(chan struct{})}
	opts := testOptions(t, &fakeTrainer{epochs: 2})
	var once sync.Once
	opts.OnProgress = func(p Progress) {
		if p.Models >= 1 {
			once.Do(func() { close(s.observed) })
		}
	}
	res, err := Run(context.Background(), s, opts)
	require.NoError(t, err)
	assert.Equal(t, StopExhausted, res.Stop)
	require.Len(t, res.History.Observations, 3)
	reveals := 0
	for _, e := range readEvents(t, opts.Dir) {
		if e.Type == evReveal {
			reveals++
		}
	}
	assert.Equal(t, 3, reveals)
}

// slowToAnswer wraps a searcher and, for a history with pending models,
// answers only once the search has observed them all. After 30 calls it is
// exhausted, so that a loop whose proposals keep failing ends.
type slowToAnswer struct {
	inner    Searcher
	observed *atomic.Int64
	calls    int
}

func (s *slowToAnswer) Propose(ctx context.Context, h *History) (Proposal, error) {
	if s.calls++; s.calls > 30 {
		return Proposal{}, ErrExhausted
	}
	known := int64(len(h.Observations) + len(h.Pending))
	for deadline := time.Now().Add(5 * time.Second); s.observed.Load() < known && time.Now().Before(deadline); {
		time.Sleep(200 * time.Microsecond)
	}
	return s.inner.Propose(ctx, h)
}

func TestRetentionWhileProposing(t *testing.T) {
	// The accuracy grows with the first width and the searcher widens the
	// best model it sees, so each model beats its parent. With Keep 1, the
	// parent the searcher picks (the best but for the model it sees as
	// pending) falls out of the Keep best when that model is observed,
	// which here always happens before the answer: its weights must stay
	// until the proposal is accepted.
	tr := &fakeTrainer{epochs: 2, level: func(g *graph.Graph) float64 { return 0.5 + float64(g.Layers[0].Units)/1000 }}
	opts := testOptions(t, tr)
	opts.Keep = 1
	opts.Budget.Models = 6
	var observed atomic.Int64
	opts.OnProgress = func(p Progress) { observed.Store(int64(p.Models)) }
	res, err := Run(context.Background(), &slowToAnswer{inner: &seqSearcher{seed: 3, fresh: 1}, observed: &observed}, opts)
	require.NoError(t, err)
	require.Len(t, res.History.Observations, 6)
	parents := 0
	for _, o := range res.History.Observations {
		assert.False(t, o.Failed, "model %d: %s", o.ID, o.Reason)
		if o.Parent != 0 {
			parents++
			assert.Less(t, o.Parent, o.ID-1, "model %d is the child of a model it was proposed beside", o.ID)
		}
	}
	assert.GreaterOrEqual(t, parents, 3)
}
