package train

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/morphnas/morphnas/core/graph"
)

// gradCase is a small graph for the finite-difference checks.
type gradCase struct {
	name  string
	build func() *graph.Graph
}

// gradCases cover every layer kind, both kinds of skip connection, strides
// with asymmetric same padding, overlapping pools and a node read by two
// layers (its gradient accumulates).
func gradCases() []gradCase {
	return []gradCase{
		{"conv-bn-relu-pool-gap", func() *graph.Graph {
			g := graph.New(graph.Shape{H: 6, W: 6, C: 2}, 3)
			u := g.MaxPool(g.ReLU(g.BatchNorm(g.Conv(0, 4, 3, 1))), 2)
			u = g.Conv(u, 3, 3, 2)
			g.Softmax(g.Dense(g.GAP(u), 3))
			return g
		}},
		{"skips-add-concat-1x1-dropout-flatten", func() *graph.Graph {
			g := graph.New(graph.Shape{H: 5, W: 5, C: 3}, 4)
			a := g.ReLU(g.BatchNorm(g.Conv(0, 4, 3, 1)))
			b := g.ReLU(g.Conv(a, 4, 3, 1))
			s := g.Sum(b, a)
			c := g.Concat(g.Conv(s, 2, 1, 1), a)
			d := g.Dropout(c, 0.3)
			g.Softmax(g.Dense(g.Flatten(d), 4))
			return g
		}},
		{"mlp-bn-dropout", func() *graph.Graph {
			g := graph.New(graph.Shape{H: 3, W: 3, C: 2}, 3)
			u := g.Flatten(0)
			u = g.Dropout(g.ReLU(g.BatchNorm(g.Dense(u, 7))), 0.25)
			v := g.Dense(u, 7)
			u = g.Sum(v, u)
			g.Softmax(g.Dense(u, 3))
			return g
		}},
		{"concat-single-channel-parts", func() *graph.Graph {
			g := graph.New(graph.Shape{H: 4, W: 4, C: 2}, 3)
			a := g.Conv(0, 1, 3, 1) // one channel
			r := g.ReLU(g.Conv(0, 3, 1, 1))
			c := g.Concat(a, r) // single-channel main part
			d := g.Concat(c, a) // single-channel skip part
			g.Softmax(g.Dense(g.GAP(g.BatchNorm(d)), 3))
			return g
		}},
		{"odd-sizes-stride2-k5-overlapping-pool", func() *graph.Graph {
			g := graph.New(graph.Shape{H: 7, W: 6, C: 2}, 2)
			u := g.Conv(0, 3, 5, 2)
			u = g.Append(graph.Layer{Kind: graph.MaxPool, Inputs: []int{u}, Kernel: 2, Stride: 1})
			u = g.ReLU(g.BatchNorm(u)) // fused with the overlapping pool below
			u = g.Append(graph.Layer{Kind: graph.MaxPool, Inputs: []int{u}, Kernel: 2, Stride: 1})
			g.Softmax(g.Dense(g.GAP(u), 2))
			return g
		}},
	}
}

// withWeights gives g random weights, with non-trivial biases and batch
// norm parameters so that every term of every gradient matters.
func withWeights(t testing.TB, g *graph.Graph, seed uint64) *graph.Graph {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	require.NoError(t, g.Validate())
	require.NoError(t, g.InitWeights(rng))
	for _, l := range g.Layers {
		p := l.Params
		if p == nil {
			continue
		}
		for _, arr := range [][]float32{p.B, p.Beta, p.Mean} {
			for j := range arr {
				arr[j] = float32(rng.NormFloat64() * 0.3)
			}
		}
		for _, arr := range [][]float32{p.Gamma, p.Var} {
			for j := range arr {
				arr[j] = float32(0.5 + rng.Float64())
			}
		}
	}
	return g
}

func randInput(rng *rand.Rand, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	return x
}

// TestGradientsFiniteDifferences checks the float64 engine's backward pass
// of every layer kind against central differences of the training-mode
// loss, for a sample of parameters and of input values. With h = 1e-5 the
// truncation error of a central difference is O(h²·f”') ≈ 1e-10 and the
// rounding error about 1e-16/h ≈ 1e-11, so a relative tolerance of 1e-6
// (absolute 1e-8 near zero) leaves a wide margin while catching any wrong
// term. Dropout draws the same mask in every pass (fixed seed), and
// random inputs keep ReLU and max pool away from their kinks.
//
// Each case runs twice: with the usual im2col blocks, and with blocks of
// the minimum 64 rows, which cut the chunks' images at odd places.
func TestGradientsFiniteDifferences(t *testing.T) {
	for _, small := range []bool{false, true} {
		for ci, tc := range gradCases() {
			name := tc.name
			if small {
				name += "/small-blocks"
			}
			t.Run(name, func(t *testing.T) {
				if small {
					defer func(v int) { colBlockBytes = v }(colBlockBytes)
					colBlockBytes = 1
				}
				gradCheck(t, ci, tc)
			})
		}
	}
}

func gradCheck(t *testing.T, ci int, tc gradCase) {
	{
		{
			g := withWeights(t, tc.build(), uint64(ci))
			rng := rand.New(rand.NewPCG(uint64(ci), 2))
			const n = 19 // two chunks, the second partial: the reductions run
			e, err := newEngine[float64](g, n, 2, true, dgemm)
			require.NoError(t, err)
			e.wantInputGrad()
			e.dropSeed = 42
			copy(e.input(), randInput(rng, n*g.Input.Size()))
			labels := make([]int, n)
			for i := range labels {
				labels[i] = rng.IntN(g.Classes)
			}
			lossAt := func() float64 {
				e.forward(n, true)
				l, _ := e.loss(labels, n, false)
				return l * n // sum, so that gradients are O(1)
			}
			e.forward(n, true)
			e.loss(labels, n, true)
			e.backward(n)
			gp := append([]float64(nil), e.grads...)
			gx := append([]float64(nil), e.grad[0][:n*g.Input.Size()]...)

			const h = 1e-5
			check := func(what string, v []float64, j int, analytic float64) {
				old := v[j]
				v[j] = old + h
				up := lossAt()
				v[j] = old - h
				down := lossAt()
				v[j] = old
				fd := (up - down) / (2 * h) / n
				require.InDelta(t, fd, analytic, 1e-8+1e-6*math.Abs(fd),
					"%s %d: finite difference %v, backward %v", what, j, fd, analytic)
			}
			for j := range e.params {
				check("param", e.params, j, gp[j])
			}
			for j := 0; j < len(gx); j += 3 {
				check("input", e.input(), j, gx[j])
			}
		}
	}
}

// TestFloat32MatchesFloat64 runs every gradient case, and the paper's
// initial network on a small image, through the float32 engine (whose
// element-wise kernels are separate, branch-free code) and the float64
// engine checked above, and compares the loss and all gradients. float32
// carries about 7 digits and the sums here have up to a few thousand
// terms, so 1e-3 of the largest gradient is a loose but telling bound: a
// wrong kernel is off by the size of the gradient itself.
func TestFloat32MatchesFloat64(t *testing.T) {
	cases := append(gradCases(), gradCase{"initial-net", func() *graph.Graph {
		return graph.Initial(graph.Shape{H: 12, W: 12, C: 1}, 10)
	}})
	for ci, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := withWeights(t, tc.build(), uint64(ci))
			rng := rand.New(rand.NewPCG(uint64(ci), 3))
			const n = 19
			e64, err := newEngine[float64](g, n, 2, true, dgemm)
			require.NoError(t, err)
			e32, err := newEngine[float32](g, n, 2, true, Gonum{}.Sgemm)
			require.NoError(t, err)
			e64.wantInputGrad()
			e32.wantInputGrad()
			e64.dropSeed, e32.dropSeed = 5, 5
			x := randInput(rng, n*g.Input.Size())
			for i, v := range x {
				e32.input()[i] = float32(v)
				e64.input()[i] = float64(float32(v))
			}
			labels := make([]int, n)
			for i := range labels {
				labels[i] = rng.IntN(g.Classes)
			}
			e64.forward(n, true)
			e32.forward(n, true)
			l64, _ := e64.loss(labels, n, true)
			l32, _ := e32.loss(labels, n, true)
			require.InDelta(t, l64, l32, 1e-4*math.Max(1, l64))
			e64.backward(n)
			e32.backward(n)
			compare := func(what string, a []float64, b []float32) {
				var scale float64
				for _, v := range a {
					scale = math.Max(scale, math.Abs(v))
				}
				for j := range a {
					require.InDelta(t, a[j], float64(b[j]), 1e-3*scale+1e-7, "%s %d (largest %v)", what, j, scale)
				}
			}
			compare("parameter gradient", e64.grads, e32.grads)
			compare("input gradient", e64.grad[0][:n*g.Input.Size()], e32.grad[0][:n*g.Input.Size()])
			// Inference mode too, after the running statistics moved.
			e64.forward(n, false)
			e32.forward(n, false)
			compare("probabilities", e64.act[e64.out][:n*g.Classes], e32.act[e32.out][:n*g.Classes])
		})
	}
}
