package train

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/morphnas/morphnas/core/graph"
)

// Stepper trains one model a step at a time, for benchmarks and for
// callers with their own loop. It owns a copy of the graph and every
// buffer; Step allocates nothing. A Stepper is not safe for concurrent
// use.
type Stepper struct {
	e      *engine[float32]
	opt    *optimizer[float32]
	cfg    Config
	labels []int
	steps  uint64
}

// NewStepper prepares a copy of g for training with cfg (MaxEpochs,
// Patience and Schedule are not used: the learning rate stays
// cfg.LearningRate). Layers without weights get fresh ones from cfg.Seed.
func NewStepper(g *graph.Graph, cfg Config) (*Stepper, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	work := g.Clone(true)
	if err := work.InitWeights(rand.New(rand.NewPCG(cfg.Seed, initStream))); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	e, err := newEngine[float32](work, cfg.BatchSize, cfg.Workers, true, cfg.Backend.Sgemm)
	if err != nil {
		return nil, err
	}
	return &Stepper{e: e, opt: newOptimizer[float32](cfg, len(e.params)), cfg: cfg,
		labels: make([]int, cfg.BatchSize)}, nil
}

// Step runs one training step on the n = len(y) examples of x (at most
// BatchSize) and returns the batch's mean loss before the update. A NaN or
// infinite loss returns an error wrapping ErrDiverged and leaves the
// weights unchanged.
func (s *Stepper) Step(x []float32, y []int) (float64, error) {
	n, sz := len(y), s.e.g.Input.Size()
	if n == 0 || n > s.e.cap || len(x) != n*sz {
		return 0, fmt.Errorf("%w: step got %d labels and %d values, want 1..%d examples of %v",
			ErrBadData, n, len(x), s.e.cap, s.e.g.Input)
	}
	for i, v := range y {
		if v < 0 || v >= s.e.g.Classes {
			return 0, fmt.Errorf("%w: label %d of example %d outside 0..%d", ErrBadData, v, i, s.e.g.Classes-1)
		}
	}
	copy(s.e.input(), x)
	copy(s.labels, y)
	s.steps++
	s.e.dropSeed = mix(s.cfg.Seed, s.steps)
	s.e.forward(n, true)
	loss, _ := s.e.loss(s.labels, n, true)
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return loss, fmt.Errorf("%w: loss %v at step %d", ErrDiverged, loss, s.steps)
	}
	s.e.backward(n)
	s.opt.step(s.e.params, s.e.grads, s.e.segs, s.cfg.LearningRate)
	return loss, nil
}

// Infer runs the n examples of x (at most BatchSize) in inference mode and
// returns their class probabilities, n rows of Classes values. The slice is
// the Stepper's own buffer, valid until its next call.
func (s *Stepper) Infer(x []float32, n int) ([]float32, error) {
	sz := s.e.g.Input.Size()
	if n <= 0 || n > s.e.cap || len(x) != n*sz {
		return nil, fmt.Errorf("%w: infer got %d values for %d examples, want 1..%d examples of %v",
			ErrBadData, len(x), n, s.e.cap, s.e.g.Input)
	}
	copy(s.e.input(), x)
	s.e.forward(n, false)
	return s.e.act[s.e.out][:n*s.e.g.Classes], nil
}

// Graph returns a copy of the architecture carrying the current weights.
func (s *Stepper) Graph() *graph.Graph {
	g := s.e.g.Clone(false)
	s.e.exportTo(g)
	return g
}

// Backend returns the name of the backend in use.
func (s *Stepper) Backend() string { return s.cfg.Backend.Name() }
