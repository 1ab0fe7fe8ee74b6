package train

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"time"

	"github.com/morphnas/morphnas/core/graph"
)

// Data is a labelled data set in memory.
type Data struct {
	// X holds N examples of Shape in NHWC order: value (h, w, c) of
	// example i is X[((i*H+h)*W+w)*C+c].
	X []float32
	// Y holds the N labels, each in 0..classes-1.
	Y []int
	// N is the number of examples.
	N int
	// Shape is the shape of one example; it must equal the graph's input.
	Shape graph.Shape
}

// Config sets up training. The zero value means the defaults given for each
// field.
type Config struct {
	// MaxEpochs bounds the number of epochs; 0 means 200, the paper's
	// final training length (section 5).
	MaxEpochs int
	// Patience is tau of section 3.4: training stops after this many
	// epochs without a lower validation loss, and the metric is the mean
	// validation accuracy of the last tau epochs; 0 means 5.
	Patience int
	// BatchSize is the number of examples per step; 0 means 64 (section 5).
	BatchSize int
	// Optimizer is "adam" or "sgd"; "" means "adam".
	Optimizer string
	// LearningRate is the initial step size; 0 means 0.001 for Adam and
	// 0.01 for SGD.
	LearningRate float64
	// Momentum of SGD; 0 means 0.9, a negative value means none.
	Momentum float64
	// WeightDecay is the L2 rate applied to conv and dense weights whose
	// layer sets no L2 of its own; 0 means none.
	WeightDecay float64
	// Schedule of the learning rate over MaxEpochs: "constant", "cosine"
	// (annealed to zero) or "step" (times 0.1 at half, 0.01 at three
	// quarters); "" means "constant".
	Schedule string
	// Seed drives the initial weights, the example order and dropout.
	Seed uint64
	// MemoryLimit refuses, with ErrTooLarge, a graph whose
	// graph.MemoryBytes at BatchSize is larger; 0 means no limit.
	MemoryLimit int64
	// Workers is the number of goroutines a layer uses; 0 means
	// GOMAXPROCS. The results do not depend on it.
	Workers int
	// Backend computes the matrix products; nil means DefaultBackend().
	Backend Backend
	// Logger receives one Debug event per epoch and one Info event per
	// run; nil discards them.
	Logger *slog.Logger
	// OnEpoch, when set, is called after each epoch with its figures.
	OnEpoch func(Epoch)
}

// withDefaults returns cfg with the zero fields set to their defaults, or
// an error naming the first bad field.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.MaxEpochs == 0 {
		cfg.MaxEpochs = 200
	}
	if cfg.Patience == 0 {
		cfg.Patience = 5
	}
	if cfg.BatchSize == 0 {
		cfg.BatchSize = 64
	}
	if cfg.Optimizer == "" {
		cfg.Optimizer = "adam"
	}
	if cfg.LearningRate == 0 {
		cfg.LearningRate = 0.001
		if cfg.Optimizer == "sgd" {
			cfg.LearningRate = 0.01
		}
	}
	if cfg.Momentum == 0 {
		cfg.Momentum = 0.9
	}
	if cfg.Schedule == "" {
		cfg.Schedule = "constant"
	}
	if cfg.Backend == nil {
		cfg.Backend = DefaultBackend()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	switch {
	case cfg.MaxEpochs < 0:
		return cfg, fmt.Errorf("train: max epochs %d is negative", cfg.MaxEpochs)
	case cfg.Patience < 0:
		return cfg, fmt.Errorf("train: patience %d is negative", cfg.Patience)
	case cfg.BatchSize < 0:
		return cfg, fmt.Errorf("train: batch size %d is negative", cfg.BatchSize)
	case cfg.Optimizer != "adam" && cfg.Optimizer != "sgd":
		return cfg, fmt.Errorf("train: unknown optimizer %q (want adam or sgd)", cfg.Optimizer)
	case !(cfg.LearningRate > 0) || math.IsInf(cfg.LearningRate, 0):
		return cfg, fmt.Errorf("train: learning rate %v is not positive", cfg.LearningRate)
	case cfg.WeightDecay < 0:
		return cfg, fmt.Errorf("train: weight decay %v is negative", cfg.WeightDecay)
	case cfg.Workers < 0:
		return cfg, fmt.Errorf("train: workers %d is negative", cfg.Workers)
	}
	return cfg, checkSchedule(cfg.Schedule)
}

// Epoch is one point of the learning curve.
type Epoch struct {
	// Epoch counts from 1.
	Epoch int `json:"epoch"`
	// TrainLoss is the mean cross-entropy over the epoch's steps, in
	// training mode.
	TrainLoss float64 `json:"train_loss"`
	// ValLoss and ValAccuracy are measured on the validation data in
	// inference mode after the epoch (on the training data when there is
	// no validation data).
	ValLoss     float64 `json:"val_loss"`
	ValAccuracy float64 `json:"val_accuracy"`
	// Seconds is the wall time of the epoch, validation included.
	Seconds float64 `json:"seconds"`
}

// Result is the outcome of Train.
type Result struct {
	// Graph is a copy of the trained architecture carrying the weights and
	// batch-norm statistics of the best epoch (lowest validation loss).
	Graph *graph.Graph
	// Curve has one entry per completed epoch.
	Curve []Epoch
	// Metric is the performance estimate of section 3.4: the mean
	// validation accuracy of the last Patience epochs (of all, when fewer
	// ran). NaN when no epoch completed.
	Metric float64
	// BestEpoch is the epoch whose weights Graph holds (0: none
	// completed, Graph holds the weights at the time of stopping).
	BestEpoch int
	// Stop says why training ended: "early", "max-epochs", "cancelled" or
	// "diverged".
	Stop string
	// Diverged is set when the loss became NaN or infinite.
	Diverged bool
}

// Streams of the seeded generators, so that the initial weights, the
// example order and dropout draw independent numbers from one seed.
const (
	initStream    = 0x7a11_0001
	shuffleStream = 0x7a11_0002
)

// Train trains a copy of g on train, validating on val after every epoch,
// and stops early when the validation loss has not improved for
// cfg.Patience epochs (section 3.4). g may be bare (weights are then drawn
// from cfg.Seed) or carry weights, for instance those a morphism
// transferred from a parent, which training continues from; layers
// without weights get fresh ones. g itself is not modified.
//
// val may be nil; the training data then stands in for it (and training
// runs MaxEpochs epochs unless the training loss stalls), which is how the
// final model is retrained on train plus validation.
//
// A cancelled ctx ends training at the next step and returns the partial
// result with Stop "cancelled" and a nil error. A NaN or infinite loss
// returns the result so far with Diverged set and an error wrapping
// ErrDiverged. A graph whose memory estimate is over cfg.MemoryLimit is
// refused with ErrTooLarge before anything is allocated.
func Train(ctx context.Context, g *graph.Graph, train, val *Data, cfg Config) (*Result, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := checkData(g, train, "training"); err != nil {
		return nil, err
	}
	if val != nil {
		if err := checkData(g, val, "validation"); err != nil {
			return nil, err
		}
	}
	if cfg.MemoryLimit > 0 {
		need, err := g.MemoryBytes(cfg.BatchSize)
		if err != nil {
			return nil, fmt.Errorf("train: %w", err)
		}
		if need > cfg.MemoryLimit {
			return nil, fmt.Errorf("%w: needs about %d bytes at batch %d, limit %d",
				ErrTooLarge, need, cfg.BatchSize, cfg.MemoryLimit)
		}
	}

	// A private copy, with fresh weights where there are none.
	work := g.Clone(true)
	if err := work.InitWeights(rand.New(rand.NewPCG(cfg.Seed, initStream))); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	e, err := newEngine[float32](work, cfg.BatchSize, cfg.Workers, true, cfg.Backend.Sgemm)
	if err != nil {
		return nil, err
	}
	t := &trainer{e: e, cfg: cfg, train: train, val: val}
	return t.run(ctx)
}

// trainer holds the state of one Train call.
type trainer struct {
	e          *engine[float32]
	cfg        Config
	train, val *Data
	labels     []int
	perm       []int
	bestParams []float32
	bestStats  []float32
}

func (t *trainer) run(ctx context.Context) (*Result, error) {
	cfg, e := t.cfg, t.e
	opt := newOptimizer[float32](cfg, len(e.params))
	shuffle := rand.New(rand.NewPCG(cfg.Seed, shuffleStream))
	t.labels = make([]int, cfg.BatchSize)
	t.perm = make([]int, t.train.N)
	for i := range t.perm {
		t.perm[i] = i
	}
	t.bestParams = make([]float32, len(e.params))
	t.bestStats = make([]float32, len(e.stats))
	res := &Result{Metric: math.NaN()}
	stopper := earlyStop{patience: cfg.Patience, best: math.Inf(1)}
	step := uint64(0)
	started := time.Now()

	finish := func(stop string) *Result {
		res.Stop = stop
		if res.BestEpoch > 0 {
			copy(e.params, t.bestParams)
			copy(e.stats, t.bestStats)
		}
		e.exportTo(e.g)
		res.Graph = e.g
		res.Metric = Metric(res.Curve, cfg.Patience)
		cfg.Logger.Info("trained", "epochs", len(res.Curve), "best_epoch", res.BestEpoch,
			"metric", res.Metric, "stop", stop, "elapsed", time.Since(started))
		return res
	}

	for epoch := 1; epoch <= cfg.MaxEpochs; epoch++ {
		t0 := time.Now()
		lr := rate(cfg, epoch)
		shuffle.Shuffle(len(t.perm), func(i, j int) { t.perm[i], t.perm[j] = t.perm[j], t.perm[i] })
		var lossSum float64
		var correct, seen int
		for lo := 0; lo < t.train.N; lo += cfg.BatchSize {
			if ctx.Err() != nil {
				return finish("cancelled"), nil
			}
			n := min(cfg.BatchSize, t.train.N-lo)
			t.gather(t.train, t.perm[lo:lo+n])
			step++
			e.dropSeed = mix(cfg.Seed, step)
			e.forward(n, true)
			loss, ok := e.loss(t.labels, n, true)
			if math.IsNaN(loss) || math.IsInf(loss, 0) {
				res.Diverged = true
				return finish("diverged"), fmt.Errorf("%w: loss %v at epoch %d, step %d", ErrDiverged, loss, epoch, step)
			}
			e.backward(n)
			opt.step(e.params, e.grads, e.segs, lr)
			lossSum += loss * float64(n)
			correct += ok
			seen += n
		}
		ep := Epoch{Epoch: epoch, TrainLoss: lossSum / float64(seen)}
		if t.val != nil {
			ep.ValLoss, ep.ValAccuracy = t.evaluate(t.val)
		} else {
			ep.ValLoss, ep.ValAccuracy = ep.TrainLoss, float64(correct)/float64(seen)
		}
		ep.Seconds = time.Since(t0).Seconds()
		if math.IsNaN(ep.ValLoss) || math.IsInf(ep.ValLoss, 0) {
			res.Curve = append(res.Curve, ep)
			res.Diverged = true
			return finish("diverged"), fmt.Errorf("%w: validation loss %v at epoch %d", ErrDiverged, ep.ValLoss, epoch)
		}
		res.Curve = append(res.Curve, ep)
		cfg.Logger.Debug("epoch", "epoch", epoch, "train_loss", ep.TrainLoss, "val_loss", ep.ValLoss,
			"val_accuracy", ep.ValAccuracy, "seconds", ep.Seconds)
		if cfg.OnEpoch != nil {
			cfg.OnEpoch(ep)
		}
		improved, stop := stopper.observe(ep)
		if improved {
			res.BestEpoch = epoch
			copy(t.bestParams, e.params)
			copy(t.bestStats, e.stats)
		}
		if stop {
			return finish("early"), nil
		}
	}
	return finish("max-epochs"), nil
}

// gather copies the examples idx of d into the engine's input and labels.
func (t *trainer) gather(d *Data, idx []int) {
	sz := d.Shape.Size()
	x := t.e.input()
	for j, i := range idx {
		copy(x[j*sz:(j+1)*sz], d.X[i*sz:(i+1)*sz])
		t.labels[j] = d.Y[i]
	}
}

// evaluate returns the mean loss and the accuracy on d in inference mode.
func (t *trainer) evaluate(d *Data) (loss, acc float64) {
	return evalOn(t.e, d, t.labels)
}

// evalOn runs e in inference mode over d in batches of e.cap.
func evalOn(e *engine[float32], d *Data, labels []int) (loss, acc float64) {
	sz := d.Shape.Size()
	var correct int
	for lo := 0; lo < d.N; lo += e.cap {
		n := min(e.cap, d.N-lo)
		copy(e.input(), d.X[lo*sz:(lo+n)*sz])
		copy(labels, d.Y[lo:lo+n])
		e.forward(n, false)
		l, c := e.loss(labels, n, false)
		loss += l * float64(n)
		correct += c
	}
	return loss / float64(d.N), float64(correct) / float64(d.N)
}

// Evaluate returns the mean cross-entropy and the accuracy of g, which must
// carry weights, on d, in inference mode. Of cfg it uses BatchSize,
// Workers and Backend.
func Evaluate(g *graph.Graph, d *Data, cfg Config) (loss, accuracy float64, err error) {
	cfg, err = cfg.withDefaults()
	if err != nil {
		return 0, 0, err
	}
	if err := checkData(g, d, "evaluation"); err != nil {
		return 0, 0, err
	}
	e, err := newEngine[float32](g, cfg.BatchSize, cfg.Workers, false, cfg.Backend.Sgemm)
	if err != nil {
		return 0, 0, err
	}
	loss, accuracy = evalOn(e, d, make([]int, cfg.BatchSize))
	return loss, accuracy, nil
}

// Predict returns the class probabilities of g, which must carry weights,
// for the n examples of x (NHWC, the graph's input shape): n rows of
// g.Classes values. Of cfg it uses BatchSize, Workers and Backend.
func Predict(g *graph.Graph, x []float32, n int, cfg Config) ([]float32, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	sz := g.Input.Size()
	if n < 0 || len(x) != n*sz {
		return nil, fmt.Errorf("%w: predict input has %d values, want %d examples of %v = %d",
			ErrBadData, len(x), n, g.Input, n*sz)
	}
	e, err := newEngine[float32](g, cfg.BatchSize, cfg.Workers, false, cfg.Backend.Sgemm)
	if err != nil {
		return nil, err
	}
	k := g.Classes
	out := make([]float32, n*k)
	for lo := 0; lo < n; lo += e.cap {
		m := min(e.cap, n-lo)
		copy(e.input(), x[lo*sz:(lo+m)*sz])
		e.forward(m, false)
		copy(out[lo*k:(lo+m)*k], e.act[e.out][:m*k])
	}
	return out, nil
}

// checkData reports data that does not fit g.
func checkData(g *graph.Graph, d *Data, what string) error {
	if d == nil {
		return fmt.Errorf("%w: no %s data", ErrBadData, what)
	}
	switch {
	case d.N <= 0:
		return fmt.Errorf("%w: %s data has %d examples", ErrBadData, what, d.N)
	case d.Shape != g.Input:
		return fmt.Errorf("%w: %s data has shape %v, graph input is %v", ErrBadData, what, d.Shape, g.Input)
	case len(d.X) != d.N*d.Shape.Size():
		return fmt.Errorf("%w: %s data has %d values, want %d examples of %v = %d",
			ErrBadData, what, len(d.X), d.N, d.Shape, d.N*d.Shape.Size())
	case len(d.Y) != d.N:
		return fmt.Errorf("%w: %s data has %d labels for %d examples", ErrBadData, what, len(d.Y), d.N)
	}
	for i, y := range d.Y {
		if y < 0 || y >= g.Classes {
			return fmt.Errorf("%w: %s label %d of example %d outside 0..%d", ErrBadData, what, y, i, g.Classes-1)
		}
	}
	return nil
}

// mix derives a 64-bit seed from a seed and a counter (SplitMix64's
// finaliser).
func mix(seed, n uint64) uint64 {
	z := seed + (n+1)*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// earlyStop is the stopping rule of section 3.4: stop once the validation
// loss has not decreased for patience epochs.
type earlyStop struct {
	patience  int
	best      float64
	bestEpoch int
}

// observe takes one epoch's figures and says whether its validation loss
// is the best so far and whether training should stop after it.
func (s *earlyStop) observe(ep Epoch) (improved, stop bool) {
	if ep.ValLoss < s.best {
		s.best, s.bestEpoch = ep.ValLoss, ep.Epoch
		return true, false
	}
	return false, ep.Epoch-s.bestEpoch >= s.patience
}

// Metric returns the performance estimate of section 3.4 for a learning
// curve: the mean validation accuracy of its last tau epochs (of all of
// them when there are fewer), or NaN for an empty curve.
func Metric(curve []Epoch, tau int) float64 {
	k := len(curve)
	if k == 0 {
		return math.NaN()
	}
	from := max(k-max(tau, 1), 0)
	var s float64
	for _, ep := range curve[from:] {
		s += ep.ValAccuracy
	}
	return s / float64(k-from)
}
