package search

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/morph"
	"github.com/morphnas/morphnas/core/train"
)

func testOptions(t *testing.T, tr Trainer) Options {
	return Options{
		Dir: t.TempDir(), Trainer: tr, Seed: 7, Apply: fakeApply,
		Record: Record{Searcher: "seq", Profile: "smoke", Dataset: "none"},
	}
}

// readEvents returns the journal's events.
func readEvents(t *testing.T, dir string) []event {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, journalFile))
	require.NoError(t, err)
	defer f.Close()
	var evs []event
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var e event
		require.NoError(t, json.Unmarshal(sc.Bytes(), &e), "line %q", sc.Text())
		evs = append(evs, e)
	}
	return evs
}

func TestBudgetModels(t *testing.T) {
	tr := &fakeTrainer{epochs: 4}
	opts := testOptions(t, tr)
	opts.Budget.Models = 6
	res, err := Run(context.Background(), &seqSearcher{seed: 1, fresh: 3}, opts)
	require.NoError(t, err)
	assert.Equal(t, StopModels, res.Stop)
	assert.Equal(t, 6, res.Trained)
	require.Len(t, res.History.Observations, 6)
	assert.Empty(t, res.History.Pending)

	// The incumbent is the lowest cost, found here by a plain scan, and its
	// metric is the scripted curve's.
	best := res.History.Observations[0]
	for _, o := range res.History.Observations {
		require.False(t, o.Failed, "model %d: %s", o.ID, o.Reason)
		assert.Equal(t, 4, o.Epochs)
		assert.InDelta(t, fakeMetric(fakeCurve(level(o.Graph), 4)), o.Metric, 1e-12, "model %d", o.ID)
		assert.InDelta(t, 1-o.Metric, o.Cost, 1e-12)
		if o.Cost < best.Cost {
			best = o
		}
	}
	require.NotNil(t, res.Best)
	assert.Equal(t, best.ID, res.Best.ID)

	// The store gives the same incumbent, with its trained weights.
	st, err := Open(opts.Dir)
	require.NoError(t, err)
	sb, err := st.Best()
	require.NoError(t, err)
	assert.Equal(t, best.ID, sb.ID)
	g, err := st.Load(sb.ID)
	require.NoError(t, err)
	assert.Equal(t, sb.Hash, g.Hash())
	assert.True(t, g.HasWeights())
	rec := st.Record()
	assert.Equal(t, "seq", rec.Searcher)
	assert.Equal(t, uint64(7), rec.Seed)
	assert.NotEmpty(t, rec.Go)
	assert.NotEmpty(t, rec.CPU)
	assert.NotEmpty(t, rec.Code)

	// Resuming with the same budget has nothing to do; a larger one goes on
	// without retraining anything.
	n := len(tr.jobs)
	_, err = Run(context.Background(), &seqSearcher{seed: 1, fresh: 3}, opts)
	require.ErrorIs(t, err, ErrBudget)
	assert.Len(t, tr.jobs, n)
	opts.Budget.Models = 9
	res, err = Run(context.Background(), &seqSearcher{seed: 1, fresh: 3}, opts)
	require.NoError(t, err)
	assert.Equal(t, 3, res.Trained)
	assert.Len(t, res.History.Observations, 9)
	assert.Len(t, tr.jobs, n+3)
	ids := map[int]bool{}
	for _, j := range tr.jobs {
		assert.False(t, ids[j.ID], "model %d trained twice", j.ID)
		ids[j.ID] = true
	}
}

func TestBudgetEpochs(t *testing.T) {
	tr := &fakeTrainer{epochs: 10}
	opts := testOptions(t, tr)
	opts.Budget = Budget{Models: 3, Epochs: 4}
	res, err := Run(context.Background(), &seqSearcher{seed: 2, fresh: 3}, opts)
	require.NoError(t, err)
	for _, o := range res.History.Observations {
		assert.Equal(t, 4, o.Epochs, "model %d", o.ID)
	}
	for _, j := range tr.jobs {
		assert.Equal(t, 4, j.MaxEpochs)
	}
}

func TestBudgetTime(t *testing.T) {
	// Each model trains 5 epochs of 20 ms. With 250 ms and no grace, the
	// third model is cut short after about 2 of its 5 epochs (on a loaded
	// machine, an earlier one may be).
	tr := &fakeTrainer{epochs: 5, sleep: 20 * time.Millisecond}
	opts := testOptions(t, tr)
	opts.Budget.Time = 250 * time.Millisecond
	t0 := time.Now()
	res, err := Run(context.Background(), &seqSearcher{seed: 3, fresh: 2}, opts)
	require.NoError(t, err)
	wall := time.Since(t0)
	assert.Equal(t, StopTime, res.Stop)
	// Without the deadline the search would never end; the bound is loose
	// so that a loaded machine does not fail it.
	assert.Less(t, wall, 3*time.Second, "the deadline must stop the search promptly")
	obs := res.History.Observations
	require.NotEmpty(t, obs)
	last := obs[len(obs)-1]
	for _, o := range obs[:len(obs)-1] {
		assert.False(t, o.Failed, "model %d: %s", o.ID, o.Reason)
		assert.Equal(t, 5, o.Epochs)
	}
	require.True(t, last.Failed)
	assert.True(t, strings.HasPrefix(last.Reason, ReasonCutShort), last.Reason)
	assert.Less(t, last.Epochs, 5)
	st, err := Open(opts.Dir)
	require.NoError(t, err)
	assert.Len(t, st.Curve(last.ID), last.Epochs, "the partial curve is journaled")
	_, err = st.Load(last.ID)
	assert.ErrorIs(t, err, ErrNoModel)

	// Raising the time budget resumes; the cut model stays observed and is
	// not retrained.
	n := len(obs)
	opts.Budget.Time = 500 * time.Millisecond
	res, err = Run(context.Background(), &seqSearcher{seed: 3, fresh: 2}, opts)
	require.NoError(t, err)
	assert.Greater(t, len(res.History.Observations), n)
	assert.Equal(t, last, res.History.Observations[n-1])
	assert.GreaterOrEqual(t, res.Total, 450*time.Millisecond)
	for _, j := range tr.jobs[n:] {
		assert.Greater(t, j.ID, last.ID)
	}
}

func TestDeadlineCutsSlowProposal(t *testing.T) {
	// The first proposal comes at once, the second would take 5 s; the
	// deadline at 300 ms cancels it and the search ends.
	tr := &fakeTrainer{epochs: 2, sleep: 20 * time.Millisecond}
	opts := testOptions(t, tr)
	opts.Budget.Time = 300 * time.Millisecond
	t0 := time.Now()
	res, err := Run(context.Background(), &slowSecond{}, opts)
	require.NoError(t, err)
	assert.Less(t, time.Since(t0), 3*time.Second, "the 5 s proposal was not cancelled")
	assert.Equal(t, StopTime, res.Stop)
	require.Len(t, res.History.Observations, 1)
	assert.False(t, res.History.Observations[0].Failed)
	assert.Empty(t, res.History.Pending)
}

// slowSecond proposes one MLP at once, then takes 5 s or until its
// context is cancelled.
type slowSecond struct{}

func (slowSecond) Propose(ctx context.Context, h *History) (Proposal, error) {
	if len(h.Observations)+len(h.Pending) == 0 {
		return Proposal{Graph: testMLP(3)}, nil
	}
	select {
	case <-time.After(5 * time.Second):
		return Proposal{Graph: testMLP(4)}, nil
	case <-ctx.Done():
		return Proposal{}, ctx.Err()
	}
}

func TestGraceKeepsFinishingModel(t *testing.T) {
	// The model takes 5 x 20 ms = 100 ms; the deadline at 40 ms falls in
	// its middle, and it finishes within the grace of 2 s.
	tr := &fakeTrainer{epochs: 5, sleep: 20 * time.Millisecond}
	opts := testOptions(t, tr)
	opts.Budget.Time = 40 * time.Millisecond
	opts.Grace = 2 * time.Second
	t0 := time.Now()
	res, err := Run(context.Background(), &seqSearcher{seed: 4, fresh: 5}, opts)
	require.NoError(t, err)
	assert.Less(t, time.Since(t0), 1500*time.Millisecond, "the search ends when the model does, not with the 2 s grace")
	assert.Equal(t, StopTime, res.Stop)
	require.Len(t, res.History.Observations, 1)
	o := res.History.Observations[0]
	assert.False(t, o.Failed, "model %d: %s", o.ID, o.Reason)
	assert.Equal(t, 5, o.Epochs)
	// A proposal queued for the next model stays pending for a resume; it
	// is not started.
	assert.LessOrEqual(t, len(res.History.Pending), 1)
	assert.Equal(t, 1, res.Trained)
}

func TestFailuresAndMemoryBound(t *testing.T) {
	// Widths 8 and 16 train; 32 panics, 40 diverges to NaN, 48 returns
	// ErrDiverged, 64 runs out of memory; 128 is then above the lowered
	// bound and never trains; 12 trains again.
	tr := &fakeTrainer{epochs: 4, script: map[int]string{32: "panic", 40: "nan", 48: "diverge", 64: "oom"}}
	opts := testOptions(t, tr)
	s := &listSearcher{widths: []int{8, 16, 32, 40, 48, 64, 128, 12, 96, 10}}
	opts.Budget.Models = 7
	res, err := Run(context.Background(), s, opts)
	require.NoError(t, err)
	obs := res.History.Observations
	require.Len(t, obs, 8)
	want := []string{"", "", ReasonPanic, ReasonDiverged, ReasonDiverged, ReasonOutOfMemory, ReasonTooLarge, ""}
	for i, o := range obs {
		if want[i] == "" {
			assert.False(t, o.Failed, "model %d: %s", o.ID, o.Reason)
			continue
		}
		assert.True(t, o.Failed, "model %d", o.ID)
		assert.True(t, strings.HasPrefix(o.Reason, want[i]+": "), "model %d: reason %q, want %q", o.ID, o.Reason, want[i])
	}
	assert.Equal(t, 4, obs[3].Epochs, "the NaN model's curve is kept")
	assert.Equal(t, 7, res.Trained, "the discarded candidate is not counted")

	// The bound is 0.9 of the failed model's estimate, computed here from
	// the graph.
	est, err := testMLP(64).MemoryBytes(64)
	require.NoError(t, err)
	bound := est * 9 / 10
	assert.Equal(t, bound, res.Bound)
	big, err := testMLP(128).MemoryBytes(64)
	require.NoError(t, err)
	require.Greater(t, big, bound)
	for _, j := range tr.jobs {
		assert.NotEqual(t, 128, j.Graph.Layers[0].Units, "too large a model was trained")
	}

	// The panic's stack is journaled with its failure.
	var panicStack string
	for _, e := range readEvents(t, opts.Dir) {
		if e.Type == evFailure && e.Kind == ReasonPanic {
			panicStack = e.Stack
		}
	}
	assert.Contains(t, panicStack, "fakeTrainer")

	// The bound survives a resume, even with a larger MemoryLimit: width 96
	// is above it and discarded, 10 trains.
	opts.Budget.Models = 8
	opts.MemoryLimit = 10 * big
	res, err = Run(context.Background(), s, opts)
	require.NoError(t, err)
	assert.Equal(t, bound, res.Bound)
	obs = res.History.Observations
	require.Len(t, obs, 10)
	assert.True(t, strings.HasPrefix(obs[8].Reason, ReasonTooLarge), obs[8].Reason)
	assert.False(t, obs[9].Failed)
	st, err := Open(opts.Dir)
	require.NoError(t, err)
	assert.Equal(t, bound, st.Bound())

	// A MemoryLimit below the stored bound wins.
	opts.Budget.Models = 9
	opts.MemoryLimit = bound / 2
	res, err = Run(context.Background(), &listSearcher{}, opts)
	require.NoError(t, err)
	assert.Equal(t, bound/2, res.Bound)
}

func TestWeightsTransferFromParent(t *testing.T) {
	tr := &fakeTrainer{epochs: 3}
	opts := testOptions(t, tr)
	opts.Budget.Models = 4
	res, err := Run(context.Background(), &seqSearcher{seed: 5, fresh: 2}, opts)
	require.NoError(t, err)
	st, err := Open(opts.Dir)
	require.NoError(t, err)
	children := 0
	for _, o := range res.History.Observations {
		if o.Parent == 0 {
			continue
		}
		children++
		parent, err := st.Load(o.Parent)
		require.NoError(t, err)
		job, err := tr.job(o.ID)
		require.NoError(t, err)
		// The widen dropped layers 0 to 3; the layers after the second
		// dense layer start from the parent's trained weights.
		for i := 4; i < len(parent.Layers); i++ {
			assert.Equal(t, parent.Layers[i].Params, job.Graph.Layers[i].Params, "model %d layer %d", o.ID, i)
		}
		assert.Equal(t, o.Ops[0].Units, job.Graph.Layers[0].Units)
	}
	assert.Equal(t, 2, children)
}

func TestRetention(t *testing.T) {
	tr := &fakeTrainer{epochs: 3}
	opts := testOptions(t, tr)
	opts.Budget.Models = 8
	opts.Keep = 2
	res, err := Run(context.Background(), &seqSearcher{seed: 6, fresh: 3}, opts)
	require.NoError(t, err)

	// The two best, by a plain sort of the costs, keep their weights.
	obs := res.History.Observations
	first, second := -1, -1
	for i, o := range obs {
		if first < 0 || o.Cost < obs[first].Cost {
			first, second = i, first
		} else if second < 0 || o.Cost < obs[second].Cost {
			second = i
		}
	}
	st, err := Open(opts.Dir)
	require.NoError(t, err)
	for i, o := range obs {
		_, err := st.Load(o.ID)
		_, statErr := os.Stat(modelPath(opts.Dir, o.ID, "weights"))
		if i == first || i == second {
			assert.NoError(t, err, "model %d", o.ID)
			assert.NoError(t, statErr)
		} else {
			assert.ErrorIs(t, err, ErrNoModel, "model %d", o.ID)
			assert.True(t, os.IsNotExist(statErr), "model %d", o.ID)
		}
		_, statErr = os.Stat(modelPath(opts.Dir, o.ID, "json"))
		assert.NoError(t, statErr, "graphs are kept")
	}
}

func TestRetentionKeepsParentsOfPending(t *testing.T) {
	// The accuracy grows with the first width. With a queue of two, the
	// widen of model 1 (model 4) waits behind model 3 while model 2, the
	// best, is observed; with Keep 1, model 1's weights must stay until
	// model 4 is built from them.
	tr := &fakeTrainer{epochs: 3, sleep: 15 * time.Millisecond,
		level: func(g *graph.Graph) float64 { return 0.5 + float64(g.Layers[0].Units)/1000 }}
	opts := testOptions(t, tr)
	opts.Keep = 1
	opts.Queue = 2
	opts.Budget.Models = 5
	res, err := Run(context.Background(), &childOfFirst{}, opts)
	require.NoError(t, err)
	require.Len(t, res.History.Observations, 5)
	for _, o := range res.History.Observations {
		assert.False(t, o.Failed, "model %d: %s", o.ID, o.Reason)
	}
	child := res.History.Find(4)
	require.NotNil(t, child)
	assert.Equal(t, 1, child.Parent)
	var drops []int
	for _, e := range readEvents(t, opts.Dir) {
		if e.Type == evDrop {
			drops = append(drops, e.ID)
		}
	}
	assert.Contains(t, drops, 1, "model 1 is dropped once model 4 is built")
}

// childOfFirst proposes fresh MLPs of widths 4, 300, 400, ..., and, as
// soon as model 1 is observed, one widen of it.
type childOfFirst struct{}

func (childOfFirst) Propose(ctx context.Context, h *History) (Proposal, error) {
	first, child := h.Find(1), false
	for _, o := range h.Observations {
		child = child || o.Parent == 1
	}
	for _, p := range h.Pending {
		child = child || p.Proposal.Parent == 1
	}
	if first != nil && !child {
		return Proposal{Parent: 1, Ops: []morph.Op{{Kind: morph.Widen, Node: 1, Units: 6}}}, nil
	}
	n := len(h.Observations) + len(h.Pending)
	if n == 0 {
		return Proposal{Graph: testMLP(4)}, nil
	}
	return Proposal{Graph: testMLP(200 + 100*n)}, nil
}

func TestParallelWorkers(t *testing.T) {
	tr := &fakeTrainer{epochs: 3, sleep: 2 * time.Millisecond}
	opts := testOptions(t, tr)
	opts.Budget.Models = 10
	opts.Workers, opts.Queue = 3, 2
	s := &checkSearcher{inner: &seqSearcher{seed: 8, fresh: 4}}
	res, err := Run(context.Background(), s, opts)
	require.NoError(t, err)
	require.Len(t, res.History.Observations, 10)
	seen := map[string]bool{}
	for _, o := range res.History.Observations {
		assert.False(t, seen[o.Hash], "duplicate architecture, model %d", o.ID)
		seen[o.Hash] = true
	}
	assert.Positive(t, s.maxPending, "pending proposals were shown to the searcher")
	assert.Empty(t, s.errs)
}

// checkSearcher wraps a searcher and checks each history it gets: every id
// known once, every pending proposal with its graph.
type checkSearcher struct {
	inner      Searcher
	maxPending int
	errs       []string
}

func (c *checkSearcher) Propose(ctx context.Context, h *History) (Proposal, error) {
	ids := map[int]bool{}
	for _, o := range h.Observations {
		if ids[o.ID] {
			c.errs = append(c.errs, "id twice")
		}
		ids[o.ID] = true
	}
	for _, p := range h.Pending {
		if ids[p.ID] || p.Graph == nil || p.Hash == "" {
			c.errs = append(c.errs, "bad pending")
		}
		ids[p.ID] = true
	}
	c.maxPending = max(c.maxPending, len(h.Pending))
	return c.inner.Propose(ctx, h)
}

func TestIdleTime(t *testing.T) {
	// The searcher takes 20 ms per proposal. Run one after the other, the
	// trainer would wait for every proposal; with the queue, proposal k+1
	// is made while model k trains. The trainer checks that at the end of
	// each model's last epoch by waiting for proposal k+1 to exist: a loop
	// that proposed only between models would make every wait time out.
	// Nothing here depends on how fast the machine is.
	var made atomic.Int64
	searcher := &countingSearcher{inner: &seqSearcher{seed: 9, fresh: 10, delay: 20 * time.Millisecond}, n: &made}
	var missed []int
	var mu sync.Mutex
	tr := &fakeTrainer{epochs: 5, after: func(id, epoch int) {
		if epoch != 5 || id >= 10 {
			return
		}
		deadline := time.Now().Add(5 * time.Second)
		for made.Load() < int64(id+1) {
			if time.Now().After(deadline) {
				mu.Lock()
				missed = append(missed, id)
				mu.Unlock()
				return
			}
			time.Sleep(time.Millisecond)
		}
	}}
	opts := testOptions(t, tr)
	opts.Budget.Models = 10
	res, err := Run(context.Background(), searcher, opts)
	require.NoError(t, err)
	t.Logf("idle %v of %v (%.1f%%)", res.Idle, res.Elapsed, 100*res.Idle.Seconds()/res.Elapsed.Seconds())
	assert.Empty(t, missed, "models whose successor was not proposed while they trained")
	assert.GreaterOrEqual(t, res.Idle, 20*time.Millisecond, "the first proposal is waited for")

	var end event
	for _, e := range readEvents(t, opts.Dir) {
		if e.Type == evEnd {
			end = e
		}
	}
	assert.InDelta(t, res.Idle.Seconds(), end.Idle, 1e-3, "idle time is journaled")
}

// countingSearcher counts the proposals its inner searcher has returned.
type countingSearcher struct {
	inner Searcher
	n     *atomic.Int64
}

func (c *countingSearcher) Propose(ctx context.Context, h *History) (Proposal, error) {
	p, err := c.inner.Propose(ctx, h)
	if err == nil {
		c.n.Add(1)
	}
	return p, err
}

func TestProgressAndIncumbent(t *testing.T) {
	tr := &fakeTrainer{epochs: 3}
	opts := testOptions(t, tr)
	opts.Budget.Models = 5
	var calls int
	opts.OnProgress = func(p Progress) {
		calls++
		// The incumbent on disk is the one the progress reports, at every
		// step of the search.
		st, err := Open(opts.Dir)
		require.NoError(t, err)
		b, err := st.Best()
		if p.Best == nil {
			assert.ErrorIs(t, err, ErrNoModel)
			return
		}
		require.NoError(t, err)
		assert.Equal(t, p.Best.ID, b.ID)
		_, err = st.Load(b.ID)
		assert.NoError(t, err)
	}
	_, err := Run(context.Background(), &seqSearcher{seed: 10, fresh: 2}, opts)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, calls, 5)
}

func TestCancel(t *testing.T) {
	// The context is cancelled in the third epoch of model 2.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tr := &fakeTrainer{epochs: 5, sleep: time.Millisecond, after: func(id, epoch int) {
		if id == 2 && epoch == 3 {
			cancel()
		}
	}}
	opts := testOptions(t, tr)
	res, err := Run(ctx, &seqSearcher{seed: 11, fresh: 2}, opts)
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, StopCanceled, res.Stop)
	require.Len(t, res.History.Observations, 1, "model 1 is observed, model 2 is not")
	require.NotEmpty(t, res.History.Pending)
	assert.Equal(t, 2, res.History.Pending[0].ID)

	// Resumed, model 2 trains again from the start.
	tr.after = nil
	opts.Budget.Models = 3
	res, err = Run(context.Background(), &seqSearcher{seed: 11, fresh: 2}, opts)
	require.NoError(t, err)
	require.Len(t, res.History.Observations, 3)
	assert.Equal(t, 5, res.History.Observations[1].Epochs)
}

func TestResumeRepairs(t *testing.T) {
	tr := &fakeTrainer{epochs: 2}
	opts := testOptions(t, tr)
	opts.Budget.Models = 3
	res, err := Run(context.Background(), &seqSearcher{seed: 12, fresh: 3}, opts)
	require.NoError(t, err)
	obs := res.History.Observations

	// Damage: a torn journal line, a temporary file, files of a model that
	// has no observation, and a truncated weights file of model 2 (as a
	// file system without atomic rename could leave it).
	jf, err := os.OpenFile(filepath.Join(opts.Dir, journalFile), os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = jf.WriteString(`{"type":"proposal","id":4,"prop`)
	require.NoError(t, err)
	require.NoError(t, jf.Close())
	tmp := modelPath(opts.Dir, 4, "weights.tmp")
	require.NoError(t, os.WriteFile(tmp, []byte("half"), 0o644))
	orphan := modelPath(opts.Dir, 9, "json")
	require.NoError(t, os.WriteFile(orphan, []byte("{}"), 0o644))
	w := modelPath(opts.Dir, 2, "weights")
	data, err := os.ReadFile(w)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(w, data[:len(data)/2], 0o644))

	opts.Budget.Models = 4
	res, err = Run(context.Background(), &seqSearcher{seed: 12, fresh: 3}, opts)
	require.NoError(t, err)
	assert.Equal(t, obs, res.History.Observations[:3], "history rebuilt from the journal")
	assert.Len(t, res.History.Observations, 4)
	for _, p := range []string{tmp, orphan, w} {
		_, err := os.Stat(p)
		assert.True(t, os.IsNotExist(err), "%s should be gone", p)
	}
	st, err := Open(opts.Dir)
	require.NoError(t, err)
	_, err = st.Load(2)
	assert.ErrorIs(t, err, ErrNoModel, "damaged weights are discarded, not used")
	_, err = st.Load(1)
	assert.NoError(t, err)

	// A damaged line in the middle of the journal is an error.
	path := filepath.Join(opts.Dir, journalFile)
	data, err = os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.SplitAfter(string(data), "\n")
	lines[2] = "{not json\n"
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(lines, "")), 0o644))
	_, err = Run(context.Background(), &seqSearcher{seed: 12, fresh: 3}, opts)
	assert.ErrorIs(t, err, ErrCorruptJournal)
}

func TestResumeChecks(t *testing.T) {
	opts := testOptions(t, &fakeTrainer{epochs: 1})
	opts.Budget.Models = 1
	_, err := Run(context.Background(), &listSearcher{widths: []int{3}}, opts)
	require.NoError(t, err)

	bad := opts
	bad.Seed = 8
	_, err = Run(context.Background(), &listSearcher{}, bad)
	assert.ErrorIs(t, err, ErrMismatch)
	bad = opts
	bad.Record.Searcher = "other"
	_, err = Run(context.Background(), &listSearcher{}, bad)
	assert.ErrorIs(t, err, ErrMismatch)

	lock, err := lockDir(filepath.Join(opts.Dir, lockFile))
	require.NoError(t, err)
	_, err = Run(context.Background(), &listSearcher{}, opts)
	assert.ErrorIs(t, err, ErrLocked)
	require.NoError(t, lock.Close())

	for name, o := range map[string]Options{
		"no dir":     {Trainer: opts.Trainer},
		"no trainer": {Dir: opts.Dir},
		"negative":   {Dir: opts.Dir, Trainer: opts.Trainer, Budget: Budget{Models: -1}},
	} {
		_, err := Run(context.Background(), &listSearcher{}, o)
		assert.Error(t, err, name)
		if err != nil {
			assert.True(t, strings.HasPrefix(err.Error(), "search: "), err.Error())
		}
	}
}

func TestBadProposals(t *testing.T) {
	// Model 1 trains for 50 ms, long enough for all the proposals up to
	// the fine one to be made meanwhile.
	opts := testOptions(t, &fakeTrainer{epochs: 1, sleep: 50 * time.Millisecond})
	opts.Budget.Models = 2
	g := testMLP(5)
	bad := testMLP(6)
	bad.Layers[0].Inputs = []int{7}
	s := &scripted{props: []Proposal{
		{Graph: g},
		{Graph: g.Clone(false)}, // duplicate
		{Parent: 99},            // unknown parent
		{Graph: bad},            // invalid graph
		{Parent: 1, Ops: nil},   // same graph as the parent
		{Graph: testMLP(7)},     // fine
		{Graph: testMLP(8)},     // beyond the budget
	}}
	res, err := Run(context.Background(), s, opts)
	require.NoError(t, err)
	obs := res.History.Observations
	require.Len(t, obs, 6)
	// The discarded proposals are observed at once, before model 1
	// finishes training.
	slices.SortFunc(obs, func(a, b Observation) int { return a.ID - b.ID })
	reasons := []string{"", ReasonDuplicate, ReasonBuild, ReasonBuild, ReasonBuild, ""}
	for i, o := range obs {
		assert.True(t, strings.HasPrefix(o.Reason, reasons[i]), "model %d: %q", o.ID, o.Reason)
		assert.Equal(t, reasons[i] != "", o.Failed)
	}
	assert.Contains(t, obs[1].Reason, "model 1")
}

// scripted proposes the listed proposals in order.
type scripted struct{ props []Proposal }

func (s *scripted) Propose(ctx context.Context, h *History) (Proposal, error) {
	n := len(h.Observations) + len(h.Pending)
	if n >= len(s.props) {
		return Proposal{}, ErrExhausted
	}
	return s.props[n], nil
}

func TestEpochJSON(t *testing.T) {
	for _, e := range []Epoch{
		{Epoch: 1, TrainLoss: 0.5, ValLoss: 0.25, ValAccuracy: 0.75, Seconds: 1.5},
		{Epoch: 2, TrainLoss: nan(), ValLoss: inf(1), ValAccuracy: inf(-1)},
	} {
		data, err := json.Marshal(e)
		require.NoError(t, err)
		var back Epoch
		require.NoError(t, json.Unmarshal(data, &back), string(data))
		assert.Equal(t, e.Epoch, back.Epoch)
		for i, pair := range [][2]float64{{e.TrainLoss, back.TrainLoss}, {e.ValLoss, back.ValLoss}, {e.ValAccuracy, back.ValAccuracy}} {
			assert.Equal(t, fmtF(pair[0]), fmtF(pair[1]), "field %d of %s", i, data)
		}
	}
}

func TestCoreTrainerAdapter(t *testing.T) {
	// The adapter is exercised for real, on a tiny data set, in a search
	// of two models.
	x := make([]float32, 40*4)
	y := make([]int, 40)
	for i := range y {
		y[i] = i % 3
		x[i*4+y[i]] = 1
	}
	d := &trainData{X: x, Y: y, N: 40, Shape: testInput}
	opts := testOptions(t, NewTrainer(d, d, trainConfig(3)))
	opts.Budget.Models = 2
	res, err := Run(context.Background(), &listSearcher{widths: []int{4, 6}}, opts)
	require.NoError(t, err)
	st, err := Open(opts.Dir)
	require.NoError(t, err)
	for _, o := range res.History.Observations {
		require.False(t, o.Failed, o.Reason)
		assert.Equal(t, 3, o.Epochs)
		// The metric is the mean accuracy of the last tau = 2 epochs of
		// the journaled curve.
		c := st.Curve(o.ID)
		require.Len(t, c, 3)
		assert.InDelta(t, (c[1].ValAccuracy+c[2].ValAccuracy)/2, o.Metric, 1e-12)
	}
	g, err := st.Load(1)
	require.NoError(t, err)
	acts, err := g.Forward([]float64{1, 0, 0, 0}, 1)
	require.NoError(t, err)
	assert.Len(t, acts[g.Output()], 3, "one probability per class")

	// A model above the job's memory limit is refused as out of memory;
	// a proposal's batch size is what the estimate uses.
	tr := NewTrainer(d, d, trainConfig(3))
	big := testMLP(50)
	require.NoError(t, big.InitWeights(rand.New(rand.NewPCG(1, 1))))
	need8, err := big.MemoryBytes(8)
	require.NoError(t, err)
	_, err = tr.Train(context.Background(), Job{ID: 1, Graph: big, MemoryLimit: need8 - 1,
		Settings: &Settings{BatchSize: 8}, OnEpoch: func(Epoch) {}})
	assert.ErrorIs(t, err, ErrOutOfMemory)
	var epochs int
	_, err = tr.Train(context.Background(), Job{ID: 1, Graph: big, MemoryLimit: need8, MaxEpochs: 2,
		Settings: &Settings{BatchSize: 8, LearningRate: 0.01, Optimizer: "sgd"}, OnEpoch: func(Epoch) { epochs++ }})
	assert.NoError(t, err)
	assert.Equal(t, 2, epochs, "the job's epoch limit wins over the config's")
	_, err = tr.Train(context.Background(), Job{ID: 1, Graph: big, Settings: &Settings{Optimizer: "nope"}, OnEpoch: func(Epoch) {}})
	assert.ErrorContains(t, err, "nope", "settings reach the trainer")
}

type trainData = train.Data

func trainConfig(epochs int) train.Config {
	return train.Config{MaxEpochs: epochs, Patience: 2, Workers: 1}
}

func nan() float64          { return math.NaN() }
func inf(sign int) float64  { return math.Inf(sign) }
func fmtF(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// morphSearcher proposes, after one fresh MLP, a real morphism of the best
// model drawn with morph.Sample.
type morphSearcher struct {
	seed    uint64
	initial *graph.Graph // nil for testMLP(5)
}

func (s *morphSearcher) Propose(ctx context.Context, h *History) (Proposal, error) {
	best := h.Best()
	if best == nil {
		if len(h.Pending) > 0 {
			return Proposal{}, ErrExhausted
		}
		if s.initial != nil {
			return Proposal{Graph: s.initial}, nil
		}
		return Proposal{Graph: testMLP(5)}, nil
	}
	r := h.Rand(s.seed)
	for try := 0; try < 100; try++ {
		op, ok := morph.Sample(best.Graph, r)
		if !ok {
			break
		}
		g := best.Graph.Clone(false)
		if err := morph.ApplyAll(g, []morph.Op{op}, nil); err != nil {
			return Proposal{}, err
		}
		if !h.Seen(g.Hash()) {
			return Proposal{Parent: best.ID, Ops: []morph.Op{op}}, nil
		}
	}
	return Proposal{}, ErrExhausted
}

func TestRealMorphKeepsFunction(t *testing.T) {
	// With the default Apply (morph.ApplyAll) and no noise, the model the
	// loop builds for a child computes what its parent's stored trained
	// model computes: the weights went through the morph.
	tr := &fakeTrainer{epochs: 2}
	opts := testOptions(t, tr)
	opts.Apply = nil
	opts.Budget.Models = 6
	res, err := Run(context.Background(), &morphSearcher{seed: 13}, opts)
	require.NoError(t, err)
	st, err := Open(opts.Dir)
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float64, 5*testInput.Size())
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	children := 0
	for _, o := range res.History.Observations {
		require.False(t, o.Failed, "model %d: %s", o.ID, o.Reason)
		if o.Parent == 0 {
			continue
		}
		children++
		parent, err := st.Load(o.Parent)
		require.NoError(t, err)
		job, err := tr.job(o.ID)
		require.NoError(t, err)
		pa, err := parent.Forward(x, 5)
		require.NoError(t, err)
		ca, err := job.Graph.Forward(x, 5)
		require.NoError(t, err)
		want, got := pa[parent.Output()], ca[job.Graph.Output()]
		require.Len(t, got, len(want))
		for i := range want {
			// Float32 weights: agreement to 1e-5 on probabilities.
			assert.InDelta(t, want[i], got[i], 1e-5, "model %d (%v) output %d", o.ID, o.Ops, i)
		}
	}
	assert.Equal(t, 5, children)
}

func TestProgressLine(t *testing.T) {
	var buf syncBuffer
	tr := &fakeTrainer{epochs: 3, sleep: 10 * time.Millisecond}
	opts := testOptions(t, tr)
	opts.Budget = Budget{Models: 3, Time: time.Minute}
	opts.ProgressEvery = 15 * time.Millisecond
	opts.Logger = slog.New(slog.NewJSONHandler(&buf, nil))
	_, err := Run(context.Background(), &seqSearcher{seed: 14, fresh: 3}, opts)
	require.NoError(t, err)
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec), line)
		if rec["msg"] != "search progress" {
			continue
		}
		n++
		for _, k := range []string{"models", "failed", "best_cost", "elapsed", "left"} {
			assert.Contains(t, rec, k, line)
		}
	}
	assert.GreaterOrEqual(t, n, 2, "periodic lines plus the final one")
}

// syncBuffer is a bytes.Buffer safe for concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestCrashLoopBecomesOutOfMemory(t *testing.T) {
	// Model 2 was started three times in sessions that died, as the
	// journal of a process killed by the system for lack of memory shows;
	// the next session records it as out of memory instead of training it
	// a fourth time, and lowers the bound below its estimate.
	tr := &fakeTrainer{epochs: 2}
	opts := testOptions(t, tr)
	opts.Budget.Models = 1
	s := &listSearcher{widths: []int{4, 30, 5}}
	_, err := Run(context.Background(), s, opts)
	require.NoError(t, err)

	// Forge the journal of three sessions that died training model 2.
	jf, err := os.OpenFile(filepath.Join(opts.Dir, journalFile), os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	j := &journal{f: jf}
	g := testMLP(30)
	est, err := g.MemoryBytes(64)
	require.NoError(t, err)
	now := time.Now().UTC()
	require.NoError(t, j.append(&event{Type: evProposal, Time: now, ID: 2, Proposal: &Proposal{Graph: g}, Graph: g, Hash: g.Hash(), Estimate: est}, false))
	for range 3 {
		require.NoError(t, j.append(&event{Type: evSession, Time: now}, false))
		require.NoError(t, j.append(&event{Type: evStart, Time: now, ID: 2}, false))
	}
	require.NoError(t, jf.Close())

	opts.Budget.Models = 3
	res, err := Run(context.Background(), s, opts)
	require.NoError(t, err)
	obs := res.History.Observations
	require.Len(t, obs, 3)
	assert.True(t, strings.HasPrefix(obs[1].Reason, ReasonOutOfMemory), obs[1].Reason)
	assert.Equal(t, est*9/10, res.Bound)
	for _, j := range tr.jobs {
		assert.NotEqual(t, 2, j.ID, "model 2 was trained again")
	}
}

// sameGraph proposes one architecture over and over.
type sameGraph struct{}

func (sameGraph) Propose(ctx context.Context, h *History) (Proposal, error) {
	return Proposal{Graph: testMLP(5)}, nil
}

func TestOnlyDiscardedProposalsEnd(t *testing.T) {
	// Without a time or model budget, a searcher whose proposals are all
	// duplicates would keep the loop busy for ever: after maxDiscarded in
	// a row it counts as exhausted.
	tr := &fakeTrainer{epochs: 1}
	opts := testOptions(t, tr)
	done := make(chan struct{})
	var res *Result
	var err error
	go func() {
		res, err = Run(context.Background(), sameGraph{}, opts)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the loop did not stop")
	}
	require.NoError(t, err)
	assert.Equal(t, StopExhausted, res.Stop)
	obs := res.History.Observations
	require.Len(t, obs, 1+maxDiscarded)
	for _, o := range obs {
		if o.ID == 1 {
			assert.False(t, o.Failed, o.Reason)
		} else {
			assert.True(t, strings.HasPrefix(o.Reason, ReasonDuplicate), "model %d: %s", o.ID, o.Reason)
		}
	}
}
