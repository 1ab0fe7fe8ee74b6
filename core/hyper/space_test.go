package hyper

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/search"
)

var mnist = graph.Shape{H: 28, W: 28, C: 1}

func TestSpaceRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 300 {
		p := Sample(rng)
		require.Equal(t, p, Decode(Encode(p)), "point %d: %+v", i, p)
		for d, v := range Encode(p) {
			require.True(t, v >= 0 && v <= 1, "point %d: dimension %d normalised to %v", i, d, v)
		}
		for k := range 3 {
			assert.True(t, p.Widths[k] >= MinWidth && p.Widths[k] <= MaxWidth, "width %d", p.Widths[k])
			assert.True(t, p.Dropout[k] >= 0 && p.Dropout[k] <= MaxDropout, "dropout %v", p.Dropout[k])
			assert.True(t, p.L2[k] >= MinL2*(1-1e-12) && p.L2[k] <= MaxL2*(1+1e-12), "l2 %v", p.L2[k])
		}
		assert.True(t, p.LearningRate >= MinLR*(1-1e-12) && p.LearningRate <= MaxLR*(1+1e-12), "lr %v", p.LearningRate)
		assert.True(t, p.Momentum >= 0 && p.Momentum <= MaxMomentum, "momentum %v", p.Momentum)

		g, s := p.Build(mnist, 10)
		require.NoError(t, g.Validate(), "point %d: %+v", i, p)
		back, ok := Recover(g, s)
		require.True(t, ok, "point %d not recovered: %+v", i, p)
		require.Equal(t, p, back)
	}
}

func TestSpaceEnds(t *testing.T) {
	lo, hi := make([]float64, Dims), make([]float64, Dims)
	for i := range hi {
		hi[i] = 1
	}
	p := Decode(lo)
	assert.Equal(t, Point{
		Widths: [3]int{16, 16, 16}, L2: [3]float64{1e-6, 1e-6, 1e-6}, Kernels: [3]int{3, 3, 3},
		LearningRate: 1e-4, BatchSize: 16, Optimizer: "sgd",
	}, p)
	q := Decode(hi)
	assert.Equal(t, [3]int{256, 256, 256}, q.Widths)
	assert.Equal(t, [3]float64{0.5, 0.5, 0.5}, q.Dropout)
	assert.InDelta(t, 1e-2, q.L2[0], 1e-15)
	assert.Equal(t, [3]int{7, 7, 7}, q.Kernels)
	assert.InDelta(t, 0.1, q.LearningRate, 1e-15)
	assert.Equal(t, 256, q.BatchSize)
	assert.Equal(t, 0.99, q.Momentum)
	assert.Equal(t, "adam", q.Optimizer)
}

func TestRecoverRejects(t *testing.T) {
	p := Sample(rand.New(rand.NewPCG(3, 4)))
	g, s := p.Build(mnist, 10)
	four := graph.PlainCNN(mnist, 10, []graph.ConvSpec{{Units: 16}, {Units: 16}, {Units: 16}, {Units: 16}})
	odd := g.Clone(false)
	odd.Layers[0].Units = 300 // out of range
	cases := []struct {
		name string
		g    *graph.Graph
		s    *search.Settings
	}{
		{"no settings", g, nil},
		{"no graph", nil, s},
		{"initial architecture", graph.Initial(mnist, 10), s},
		{"four layers", four, s},
		{"width out of range", odd, s},
		{"unknown optimizer", g, &search.Settings{LearningRate: s.LearningRate, BatchSize: s.BatchSize, Momentum: s.Momentum, Optimizer: "rmsprop"}},
		{"batch off the list", g, &search.Settings{LearningRate: s.LearningRate, BatchSize: 100, Momentum: s.Momentum, Optimizer: s.Optimizer}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, ok := Recover(c.g, c.s)
			assert.False(t, ok)
		})
	}
}

// TestExpectedImprovement compares the closed form with a numerical
// integral of max(best - f, 0) against the normal density (midpoint rule
// over +-10 standard deviations, 200,000 steps: error far below 1e-8).
func TestExpectedImprovement(t *testing.T) {
	for _, c := range []struct{ mu, sd, best float64 }{
		{0.3, 0.1, 0.25}, {0.2, 0.05, 0.3}, {0.5, 1, 0.5}, {0.1, 0.01, 0.9},
	} {
		const steps = 200000
		lo, w := c.mu-10*c.sd, 20*c.sd/steps
		sum := 0.0
		for i := range steps {
			f := lo + (float64(i)+0.5)*w
			z := (f - c.mu) / c.sd
			sum += math.Max(c.best-f, 0) * math.Exp(-z*z/2) / (c.sd * math.Sqrt(2*math.Pi)) * w
		}
		assert.InDelta(t, sum, ExpectedImprovement(c.mu, c.sd, c.best), 1e-8, "%+v", c)
	}
	assert.InDelta(t, 0.2, ExpectedImprovement(0.1, 0, 0.3), 1e-15)
	assert.Equal(t, 0.0, ExpectedImprovement(0.5, 0, 0.3))
}
