package morph

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/morphnas/morphnas/core/graph"
)

// fixture is a named architecture the tests morph.
type fixture struct {
	name  string
	build func() *graph.Graph
}

// fixtures covers the shapes of graph the morphs must handle: plain chains,
// add and concat skips (with a conv on a branch), strided convs, odd sizes
// under pooling, a flatten, dropout and flat networks.
var fixtures = []fixture{
	{"plain", func() *graph.Graph {
		return graph.PlainCNN(graph.Shape{H: 8, W: 8, C: 3}, 3, []graph.ConvSpec{{Units: 4}, {Units: 6}})
	}},
	{"pooled-odd", func() *graph.Graph {
		// 7x7 -> 3x3 -> 1x1: floor division in every pool.
		return graph.PlainCNN(graph.Shape{H: 7, W: 7, C: 2}, 3, []graph.ConvSpec{{Units: 4}, {Units: 4, Kernel: 1}, {Units: 5, Dropout: 0.3}})
	}},
	{"strided", stridedGraph},
	{"add", addGraph},
	{"concat", concatGraph},
	{"flatten", flattenGraph},
	{"concat-add", concatAddGraph},
	{"mlp", func() *graph.Graph { return graph.MLP(graph.Shape{C: 10}, 3, []int{8, 6}) }},
	{"mlp-spatial", func() *graph.Graph { return graph.MLP(graph.Shape{H: 3, W: 3, C: 2}, 4, []int{5}) }},
}

// stridedGraph downsamples with strided convs only: 9x9 -> 5x5 -> 3x3.
func stridedGraph() *graph.Graph {
	g := graph.New(graph.Shape{H: 9, W: 9, C: 3}, 3)
	a := g.ReLU(g.BatchNorm(g.Conv(0, 4, 3, 2)))
	b := g.ReLU(g.BatchNorm(g.Conv(a, 6, 3, 1)))
	c := g.ReLU(g.BatchNorm(g.Conv(b, 5, 3, 2)))
	g.Softmax(g.Dense(g.GAP(c), 3))
	return g
}

// addGraph has a residual add across a conv block and a second add whose
// branch holds a 1x1 conv.
func addGraph() *graph.Graph {
	g := graph.New(graph.Shape{H: 8, W: 8, C: 3}, 3)
	a := g.ReLU(g.BatchNorm(g.Conv(0, 4, 3, 1)))
	p := g.MaxPool(a, 2)
	b := g.ReLU(g.BatchNorm(g.Conv(p, 4, 3, 1)))
	s := g.Sum(b, p)
	c := g.ReLU(g.BatchNorm(g.Conv(s, 6, 3, 1)))
	s2 := g.Sum(c, g.Conv(s, 6, 1, 1))
	g.Softmax(g.Dense(g.GAP(s2), 3))
	return g
}

// concatGraph has a concat skip across pooling folded back by a 1x1 conv.
func concatGraph() *graph.Graph {
	g := graph.New(graph.Shape{H: 8, W: 8, C: 3}, 3)
	a := g.ReLU(g.BatchNorm(g.Conv(0, 4, 3, 1)))
	p := g.MaxPool(a, 2)
	b := g.ReLU(g.BatchNorm(g.Conv(p, 5, 3, 1)))
	cc := g.Concat(b, g.MaxPool(a, 2))
	k := g.Append(graph.Layer{Kind: graph.Conv2D, Inputs: []int{cc}, Units: 5, Kernel: 1, Skip: true})
	c := g.ReLU(g.BatchNorm(g.Conv(k, 6, 3, 1)))
	g.Softmax(g.Dense(g.GAP(c), 3))
	return g
}

// concatAddGraph adds a conv output to a concatenation, which no morphism
// builds: widening the concat's first input cannot be aligned with the
// conv's copies, widening its second input can.
func concatAddGraph() *graph.Graph {
	g := graph.New(graph.Shape{H: 4, W: 4, C: 2}, 3)
	x := g.Conv(0, 4, 3, 1)
	y := g.Conv(0, 2, 1, 1)
	z := g.Conv(0, 6, 3, 1)
	s := g.ReLU(g.Sum(g.Concat(x, y), z))
	g.Softmax(g.Dense(g.GAP(s), 3))
	return g
}

// flattenGraph flattens a conv block into a dense head.
func flattenGraph() *graph.Graph {
	g := graph.New(graph.Shape{H: 4, W: 4, C: 2}, 3)
	a := g.ReLU(g.BatchNorm(g.Conv(0, 3, 3, 1)))
	d := g.ReLU(g.BatchNorm(g.Dense(g.Flatten(a), 5)))
	g.Softmax(g.Dense(d, 3))
	return g
}

// withWeights gives g random weights, with batch-norm parameters, running
// statistics and biases away from their neutral initial values so that a
// transfer that drops or misplaces any of them shows in the output.
func withWeights(t testing.TB, g *graph.Graph, seed uint64) *graph.Graph {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 7))
	require.NoError(t, g.InitWeights(rng))
	for i := range g.Layers {
		p := g.Layers[i].Params
		if p == nil {
			continue
		}
		for j := range p.B {
			p.B[j] = float32(rng.NormFloat64() * 0.1)
		}
		for j := range p.Gamma {
			p.Gamma[j] = float32(0.5 + rng.Float64())
			p.Beta[j] = float32(rng.NormFloat64() * 0.2)
			p.Mean[j] = float32(rng.NormFloat64() * 0.2)
			p.Var[j] = float32(0.5 + 1.5*rng.Float64())
		}
	}
	return g
}

// randomInput returns n random examples for g.
func randomInput(g *graph.Graph, n int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 11))
	x := make([]float64, n*g.Input.Size())
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	return x
}

// tol is the tolerance of a function-preserving morph: 1e-4, relative to
// the magnitude for values above 1. The weights are float32 and the
// transfers round only when they divide by a copy count or scale batch
// norm by sqrt(1+eps), about 1e-7 relative, so 1e-4 leaves a wide margin.
func near(a, b float64) bool { return math.Abs(a-b) <= 1e-4*max(1, math.Abs(a)) }

// checkPreserved runs the reference forward pass of parent and child on x
// and checks that every node of the parent that kept its size (all but the
// widened ones; node ids name the same tensor before and after a morph)
// holds the same values in the child, the output included. It also checks
// that the inferred shapes of the child match its activations.
func checkPreserved(t *testing.T, parent, child *graph.Graph, x []float64, n int) {
	t.Helper()
	want, err := parent.Forward(x, n)
	require.NoError(t, err)
	got, err := child.Forward(x, n)
	require.NoError(t, err)
	shapes, err := child.Shapes()
	require.NoError(t, err)
	for v, a := range got {
		require.Len(t, a, n*shapes[v].Size(), "node %d: activations against inferred shape %v", v, shapes[v])
	}
	out := parent.Output()
	require.Equal(t, out, child.Output(), "the output node keeps its id")
	for v, w := range want {
		if len(got[v]) != len(w) {
			require.NotEqual(t, out, v, "output changed size")
			continue
		}
		for j := range w {
			if !near(w[j], got[v][j]) {
				require.Failf(t, "function not preserved", "node %d (%s) value %d: parent %.9g, child %.9g",
					v, kindName(parent, v), j, w[j], got[v][j])
			}
		}
	}
}

func kindName(g *graph.Graph, v int) string {
	if v == 0 {
		return "input"
	}
	return string(g.Layers[v-1].Kind)
}

// noParams reports whether no layer of g carries weights.
func noParams(g *graph.Graph) bool {
	for _, l := range g.Layers {
		if l.Params != nil {
			return false
		}
	}
	return true
}
