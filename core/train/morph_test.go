package train

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/morph"
)

// TestMorphedGraphsGradients checks the engine on the topologies the
// search actually produces: random sequences of morphisms of a small
// plain CNN (deepened blocks, widened layers, add and concat skips, layers
// appended after the output). For each graph the float64 backward pass is
// compared with central differences on a sample of parameters and inputs,
// and the float32 inference with core/graph's reference forward pass.
// Tolerances as in TestGradientsFiniteDifferences and
// TestInferenceMatchesReference.
func TestMorphedGraphsGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 31))
	for k := range 8 {
		g := graph.PlainCNN(graph.Shape{H: 8, W: 8, C: 2}, 3, []graph.ConvSpec{{Units: 4}, {Units: 4}})
		var ops []morph.Op
		for range 6 {
			op, ok := morph.Sample(g, rng)
			require.True(t, ok)
			require.NoError(t, morph.Apply(g, op, nil), "ops so far %v", ops)
			ops = append(ops, op)
		}
		withWeights(t, g, uint64(k))

		// Gradients against finite differences.
		const n = 11
		e, err := newEngine[float64](g, n, 2, true, dgemm)
		require.NoError(t, err)
		e.wantInputGrad()
		x := randInput(rng, n*g.Input.Size())
		copy(e.input(), x)
		labels := make([]int, n)
		for i := range labels {
			labels[i] = rng.IntN(g.Classes)
		}
		e.forward(n, true)
		e.loss(labels, n, true)
		e.backward(n)
		gp := append([]float64(nil), e.grads...)
		gx := append([]float64(nil), e.grad[0][:len(x)]...)
		lossAt := func() float64 {
			e.forward(n, true)
			l, _ := e.loss(labels, n, false)
			return l
		}
		const h = 1e-5
		check := func(what string, v []float64, j int, analytic float64) {
			old := v[j]
			v[j] = old + h
			up := lossAt()
			v[j] = old - h
			down := lossAt()
			v[j] = old
			fd := (up - down) / (2 * h)
			require.InDelta(t, fd, analytic, 1e-9+1e-6*math.Abs(fd)*n,
				"graph %d (ops %v) %s %d", k, ops, what, j)
		}
		for j := 0; j < len(e.params); j += 1 + len(e.params)/150 {
			check("param", e.params, j, gp[j])
		}
		for j := 0; j < len(gx); j += 7 {
			check("input", e.input(), j, gx[j])
		}

		// Inference against the reference.
		x32 := make([]float32, len(x))
		for i, v := range x {
			x32[i] = float32(v)
			x[i] = float64(x32[i])
		}
		want, err := g.Forward(x, n)
		require.NoError(t, err)
		got, err := Predict(g, x32, n, Config{BatchSize: 8, Backend: Gonum{}})
		require.NoError(t, err)
		for i, v := range got {
			require.InDelta(t, want[g.Output()][i], float64(v), 1e-4, "graph %d (ops %v) value %d", k, ops, i)
		}
	}
}
