package hyper

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/search"
)

// The 16 hyperparameters of the three-layer CNN tuned by the conventional
// baselines (section 5: "the width, dropout rate, and regularization rate of
// each layer", completed to 16 with training settings and kernel sizes).
// Every one is normalised to [0, 1] for the surrogate model:
//
//	index  hyperparameter                 range                  scale
//	0-2    width of conv layer 1-3        16 to 256 filters      log, integer
//	3-5    dropout after conv layer 1-3   0 to 0.5               linear
//	6-8    L2 rate of conv layer 1-3      1e-6 to 1e-2           log
//	9-11   kernel size of conv layer 1-3  3, 5 or 7              choice
//	12     learning rate                  1e-4 to 1e-1           log
//	13     batch size                     16, 32, 64, 128, 256   choice
//	14     momentum                       0 to 0.99              linear
//	15     optimizer                      sgd or adam            choice
//
// The network is graph.PlainCNN with three blocks (conv, batch norm, ReLU,
// max pooling, and a dropout layer when the rate is above zero), global
// average pooling and a dense classifier; the L2 rates go to the conv
// layers' Layer.L2, the last four to search.Settings. Momentum is the SGD
// momentum; how a trainer reads it with adam is the trainer's.
const Dims = 16

// The ranges of the continuous hyperparameters.
const (
	MinWidth, MaxWidth  = 16, 256
	MaxDropout          = 0.5
	MinL2, MaxL2        = 1e-6, 1e-2
	MinLR, MaxLR        = 1e-4, 1e-1
	MaxMomentum         = 0.99
	dropoutPrecision    = 1e3 // dropout rates are rounded to 1/dropoutPrecision
	continuousPrecision = 1e6 // other continuous values, in normalised units
)

// The choices of the discrete hyperparameters.
var (
	Kernels    = []int{3, 5, 7}
	BatchSizes = []int{16, 32, 64, 128, 256}
	Optimizers = []string{"sgd", "adam"}
)

// Point is one configuration of the 16 hyperparameters, in their own units.
type Point struct {
	Widths       [3]int
	Dropout      [3]float64
	L2           [3]float64
	Kernels      [3]int
	LearningRate float64
	BatchSize    int
	Momentum     float64
	Optimizer    string
}

// Decode returns the configuration at x, a point of [0, 1]^16 (values
// outside are clamped). Integers and choices are rounded to the nearest
// allowed value, so Decode(Encode(p)) == p for every p Decode returns.
func Decode(x []float64) Point {
	if len(x) != Dims {
		panic(fmt.Sprintf("hyper: point of %d values, want %d", len(x), Dims))
	}
	c := func(i int) float64 { return math.Min(1, math.Max(0, x[i])) }
	var p Point
	for i := range 3 {
		p.Widths[i] = int(math.Round(logScale(c(i), MinWidth, MaxWidth)))
		p.Dropout[i] = math.Round(c(3+i)*MaxDropout*dropoutPrecision) / dropoutPrecision
		p.L2[i] = logScale(round(c(6+i)), MinL2, MaxL2)
		p.Kernels[i] = Kernels[choice(c(9+i), len(Kernels))]
	}
	p.LearningRate = logScale(round(c(12)), MinLR, MaxLR)
	p.BatchSize = BatchSizes[choice(c(13), len(BatchSizes))]
	p.Momentum = round(c(14)) * MaxMomentum
	p.Optimizer = Optimizers[choice(c(15), len(Optimizers))]
	return p
}

// Encode returns the normalised vector of p, the inverse of Decode.
func Encode(p Point) []float64 {
	x := make([]float64, Dims)
	for i := range 3 {
		x[i] = unLog(float64(p.Widths[i]), MinWidth, MaxWidth)
		x[3+i] = p.Dropout[i] / MaxDropout
		x[6+i] = unLog(p.L2[i], MinL2, MaxL2)
		x[9+i] = unChoice(indexOf(Kernels, p.Kernels[i]), len(Kernels))
	}
	x[12] = unLog(p.LearningRate, MinLR, MaxLR)
	x[13] = unChoice(indexOf(BatchSizes, p.BatchSize), len(BatchSizes))
	x[14] = p.Momentum / MaxMomentum
	x[15] = unChoice(indexOf(Optimizers, p.Optimizer), len(Optimizers))
	return x
}

// Sample returns a configuration drawn uniformly in the normalised space.
func Sample(rng *rand.Rand) Point {
	x := make([]float64, Dims)
	for i := range x {
		x[i] = rng.Float64()
	}
	return Decode(x)
}

// Build returns the network of p for the given input and classes, and the
// training settings p carries.
func (p Point) Build(input graph.Shape, classes int) (*graph.Graph, *search.Settings) {
	blocks := make([]graph.ConvSpec, 3)
	for i := range blocks {
		blocks[i] = graph.ConvSpec{Units: p.Widths[i], Kernel: p.Kernels[i], Dropout: p.Dropout[i]}
	}
	g := graph.PlainCNN(input, classes, blocks)
	k := 0
	for i := range g.Layers {
		if g.Layers[i].Kind == graph.Conv2D {
			g.Layers[i].L2 = p.L2[k]
			k++
		}
	}
	return g, &search.Settings{
		LearningRate: p.LearningRate,
		BatchSize:    p.BatchSize,
		Momentum:     p.Momentum,
		Optimizer:    p.Optimizer,
	}
}

// Recover returns the configuration behind an architecture and its
// settings, and false when they are not a point of the space: the graph
// must be exactly what Build makes of the recovered configuration.
func Recover(g *graph.Graph, s *search.Settings) (Point, bool) {
	if g == nil || s == nil {
		return Point{}, false
	}
	var p Point
	k := -1
	for _, l := range g.Layers {
		switch {
		case l.Kind == graph.Conv2D:
			k++
			if k >= 3 {
				return Point{}, false
			}
			p.Widths[k], p.Kernels[k], p.L2[k] = l.Units, l.Kernel, l.L2
		case l.Kind == graph.Dropout && k >= 0:
			p.Dropout[k] = l.Rate
		}
	}
	p.LearningRate, p.BatchSize, p.Momentum, p.Optimizer = s.LearningRate, s.BatchSize, s.Momentum, s.Optimizer
	if k != 2 || indexOf(Optimizers, p.Optimizer) < 0 || indexOf(BatchSizes, p.BatchSize) < 0 {
		return Point{}, false
	}
	for i := range 3 {
		if indexOf(Kernels, p.Kernels[i]) < 0 {
			return Point{}, false
		}
	}
	q := Decode(Encode(p))
	if q != p {
		return Point{}, false
	}
	rebuilt, _ := q.Build(g.Input, g.Classes)
	if rebuilt.Hash() != g.Hash() {
		return Point{}, false
	}
	return p, true
}

// logScale maps u in [0, 1] to [lo, hi] on a log scale.
func logScale(u, lo, hi float64) float64 { return lo * math.Pow(hi/lo, u) }

// unLog is the inverse of logScale.
func unLog(v, lo, hi float64) float64 { return math.Log(v/lo) / math.Log(hi/lo) }

// round rounds a normalised value to continuousPrecision, so that values
// survive an encode and decode unchanged.
func round(u float64) float64 { return math.Round(u*continuousPrecision) / continuousPrecision }

// choice maps u in [0, 1] to one of n choices, in equal parts.
func choice(u float64, n int) int { return min(n-1, int(u*float64(n))) }

// unChoice returns the middle of choice i's part of [0, 1].
func unChoice(i, n int) float64 { return (float64(i) + 0.5) / float64(n) }

// indexOf returns the index of v in s, or -1.
func indexOf[T comparable](s []T, v T) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// ExpectedImprovement returns E[max(best - f, 0)] for f normal with mean mu
// and standard deviation sd: the expected improvement on the lowest cost
// best (Mockus; Jones et al. 1998). With sd = 0 it is max(best - mu, 0).
func ExpectedImprovement(mu, sd, best float64) float64 {
	if !(sd > 0) {
		return math.Max(best-mu, 0)
	}
	z := (best - mu) / sd
	return (best-mu)*0.5*math.Erfc(-z/math.Sqrt2) + sd*math.Exp(-z*z/2)/math.Sqrt(2*math.Pi)
}
