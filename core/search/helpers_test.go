package search

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/morph"
)

// The tests' networks: MLPs on a flat input of 4 values and 3 classes,
// with two hidden layers, the first of which the test searcher widens.
var testInput = graph.Shape{C: 4}

func testMLP(h1 int) *graph.Graph { return graph.MLP(testInput, 3, []int{h1, 6}) }

// fakeApply stands in for morph.ApplyAll in these tests: it knows only
// widen of a dense layer, which it applies by changing the width and
// dropping the weights of every layer up to and including the next dense
// layer (so they are initialised afresh); later layers keep the parent's.
func fakeApply(g *graph.Graph, ops []morph.Op, _ *rand.Rand) error {
	for _, op := range ops {
		if op.Kind != morph.Widen || op.Node < 1 || op.Node > len(g.Layers) || g.Layers[op.Node-1].Kind != graph.Dense {
			return fmt.Errorf("fake apply: cannot apply %+v", op)
		}
		i := op.Node - 1
		g.Layers[i].Units = op.Units
		g.Layers[i].Params = nil
		for j := i + 1; j < len(g.Layers); j++ {
			g.Layers[j].Params = nil
			if g.Layers[j].Kind == graph.Dense {
				break
			}
		}
	}
	return nil
}

// seqSearcher is a deterministic searcher for the tests. While fewer than
// fresh models are known it proposes fresh MLPs, the first hidden width
// drawn from History.Rand; then it widens the first layer of the best model
// by a drawn amount. It never proposes a seen architecture, and it checks
// that the loop never hands it a history where a pending proposal is
// missing.
type seqSearcher struct {
	seed  uint64
	fresh int
	delay time.Duration // sleep per proposal, to stand for real work
}

func (s *seqSearcher) Propose(ctx context.Context, h *History) (Proposal, error) {
	if s.delay > 0 {
		select {
		case <-time.After(s.delay):
		case <-ctx.Done():
			return Proposal{}, ctx.Err()
		}
	}
	r := h.Rand(s.seed)
	n := len(h.Observations) + len(h.Pending)
	best := h.Best()
	for try := 0; try < 50; try++ {
		if n < s.fresh || best == nil {
			g := testMLP(2 + r.IntN(40))
			if !h.Seen(g.Hash()) {
				return Proposal{Graph: g}, nil
			}
			continue
		}
		ops := []morph.Op{{Kind: morph.Widen, Node: 1, Units: best.Graph.Layers[0].Units + 1 + r.IntN(32)}}
		g := best.Graph.Clone(false)
		if err := fakeApply(g, ops, nil); err != nil {
			return Proposal{}, err
		}
		if !h.Seen(g.Hash()) {
			return Proposal{Parent: best.ID, Ops: ops}, nil
		}
	}
	return Proposal{}, ErrExhausted
}

// listSearcher proposes fresh MLPs of the listed first widths, in order,
// then is exhausted.
type listSearcher struct{ widths []int }

func (s *listSearcher) Propose(ctx context.Context, h *History) (Proposal, error) {
	n := len(h.Observations) + len(h.Pending)
	if n >= len(s.widths) {
		return Proposal{}, ErrExhausted
	}
	return Proposal{Graph: testMLP(s.widths[n])}, nil
}

// fakeTrainer returns scripted curves in milliseconds. The curve of a model
// depends only on its architecture: the validation accuracy approaches a
// level drawn from the graph's hash. Training adds 1/8 to every weight (an
// exact float32 step), so a child's weights show what it inherited. The
// script, keyed by the first hidden width, makes a trial panic ("panic"),
// produce NaN losses ("nan"), return ErrDiverged ("diverge") or run out of
// memory ("oom").
type fakeTrainer struct {
	epochs int           // curve length when the job sets no limit
	sleep  time.Duration // per epoch
	script map[int]string
	after  func(id, epoch int)        // called after each epoch, when set
	level  func(*graph.Graph) float64 // the accuracy level; nil for level

	mu   sync.Mutex
	jobs []Job // every job seen, graph included
}

// level is the accuracy a model's curve approaches, in [0.5, 0.9).
func level(g *graph.Graph) float64 {
	v, _ := strconv.ParseUint(g.Hash()[:8], 16, 64)
	return 0.5 + 0.4*float64(v)/(1<<32)
}

// fakeCurve is the scripted curve of n epochs for a model with level m: the
// accuracy after epoch e is m - 0.2/e, the losses fall as 1/e.
func fakeCurve(m float64, n int) []Epoch {
	c := make([]Epoch, n)
	for i := range c {
		e := float64(i + 1)
		c[i] = Epoch{Epoch: i + 1, TrainLoss: 1 / e, ValLoss: 1.1 / e, ValAccuracy: m - 0.2/e}
	}
	return c
}

// fakeMetric is the mean accuracy of the last two epochs (tau = 2).
func fakeMetric(c []Epoch) float64 {
	k := max(0, len(c)-2)
	s := 0.0
	for _, e := range c[k:] {
		s += e.ValAccuracy
	}
	return s / float64(len(c)-k)
}

func (f *fakeTrainer) Train(ctx context.Context, job Job) (Outcome, error) {
	f.mu.Lock()
	f.jobs = append(f.jobs, Job{ID: job.ID, Graph: job.Graph.Clone(true), MaxEpochs: job.MaxEpochs, Seed: job.Seed, MemoryLimit: job.MemoryLimit})
	f.mu.Unlock()
	n := f.epochs
	if job.MaxEpochs > 0 && job.MaxEpochs < n {
		n = job.MaxEpochs
	}
	what := f.script[job.Graph.Layers[0].Units]
	switch what {
	case "panic":
		panic("fake trainer: scripted panic")
	case "oom":
		return Outcome{}, fmt.Errorf("fake trainer: %w: scripted", ErrOutOfMemory)
	}
	lv := level
	if f.level != nil {
		lv = f.level
	}
	curve := fakeCurve(lv(job.Graph), n)
	for i, e := range curve {
		if f.sleep > 0 {
			select {
			case <-time.After(f.sleep):
			case <-ctx.Done():
				return Outcome{}, ctx.Err()
			}
		}
		if what == "nan" && i >= 1 {
			e.TrainLoss, e.ValLoss = math.NaN(), math.NaN()
			curve[i] = e
		}
		job.OnEpoch(e)
		if f.after != nil {
			f.after(job.ID, e.Epoch)
		}
		if what == "diverge" && i == 2 {
			return Outcome{}, fmt.Errorf("fake trainer: %w: loss +Inf", ErrDiverged)
		}
	}
	g := job.Graph.Clone(true)
	for i := range g.Layers {
		if p := g.Layers[i].Params; p != nil {
			for _, arr := range [][]float32{p.W, p.B, p.Gamma, p.Beta} {
				for j := range arr {
					arr[j] += 0.125
				}
			}
		}
	}
	m := fakeMetric(curve)
	if what == "nan" {
		m = math.NaN()
	}
	return Outcome{Graph: g, Metric: m}, nil
}

// job returns the last job the trainer saw for a model id.
func (f *fakeTrainer) job(id int) (Job, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.jobs) - 1; i >= 0; i-- {
		if f.jobs[i].ID == id {
			return f.jobs[i], nil
		}
	}
	return Job{}, errors.New("no such job")
}
