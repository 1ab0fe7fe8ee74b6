package train

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/morphnas/morphnas/core/graph"
)

// newTestEngine builds a float64 engine for g, which must carry weights.
func newTestEngine(t *testing.T, g *graph.Graph, n int) *engine[float64] {
	t.Helper()
	e, err := newEngine[float64](g, n, 2, true, dgemm)
	require.NoError(t, err)
	e.wantInputGrad()
	return e
}

// TestBatchNormNonUniformUpstream checks batch norm alone, in training
// mode, against central differences of L = Σ dy·BN(x) for a random,
// non-uniform dy: with a uniform dy the input gradient is zero and most
// terms of the formula go untested. Tolerances as in
// TestGradientsFiniteDifferences.
func TestBatchNormNonUniformUpstream(t *testing.T) {
	for _, in := range []graph.Shape{{C: 3}, {H: 2, W: 3, C: 2}} {
		t.Run(in.String(), func(t *testing.T) {
			g := graph.New(in, 2)
			bn := g.BatchNorm(0)
			if in.Spatial() {
				g.Softmax(g.Dense(g.GAP(bn), 2))
			} else {
				g.Softmax(g.Dense(bn, 2))
			}
			withWeights(t, g, 3)
			const n = 21
			e := newTestEngine(t, g, n)
			rng := rand.New(rand.NewPCG(4, 4))
			copy(e.input(), randInput(rng, n*in.Size()))
			dy := randInput(rng, n*in.Size())
			objective := func() float64 {
				e.forward(n, true)
				var s float64
				for j, v := range e.act[bn][:n*in.Size()] {
					s += dy[j] * v
				}
				return s
			}
			objective()
			e.backwardFrom(n, bn, dy)
			ls := &e.layers[bn-1]
			analytic := map[string][]float64{
				"input": append([]float64(nil), e.grad[0][:n*in.Size()]...),
				"gamma": append([]float64(nil), ls.dg...),
				"beta":  append([]float64(nil), ls.dbeta...),
			}
			vars := map[string][]float64{"input": e.input()[:n*in.Size()], "gamma": ls.gamma, "beta": ls.beta}
			const h = 1e-5
			for name, v := range vars {
				for j := range v {
					old := v[j]
					v[j] = old + h
					up := objective()
					v[j] = old - h
					down := objective()
					v[j] = old
					fd := (up - down) / (2 * h)
					require.InDelta(t, fd, analytic[name][j], 1e-8+1e-6*math.Abs(fd), "%s[%d]", name, j)
				}
			}
		})
	}
}

// TestConcatSingleChannelGradient checks that concat hands each input
// exactly its own channels of the upstream gradient when one part is a
// single channel, as the main input and as the skip.
func TestConcatSingleChannelGradient(t *testing.T) {
	for _, singleFirst := range []bool{true, false} {
		g := graph.New(graph.Shape{H: 2, W: 3, C: 3}, 2)
		r := g.ReLU(0)          // 3 channels
		a := g.Conv(0, 1, 1, 1) // 1 channel
		u, v, cu := r, a, 3
		if singleFirst {
			u, v, cu = a, r, 1
		}
		c := g.Concat(u, v)
		g.Softmax(g.Dense(g.GAP(c), 2))
		withWeights(t, g, 5)
		const n = 3
		e := newTestEngine(t, g, n)
		rng := rand.New(rand.NewPCG(6, 6))
		copy(e.input(), randInput(rng, n*18))
		e.forward(n, true)
		dy := randInput(rng, n*6*4)
		e.backwardFrom(n, c, dy)
		for p := range n * 6 {
			for k := range 4 {
				node, ch := u, k
				if k >= cu {
					node, ch = v, k-cu
				}
				width := e.shapes[node].C
				assert.Equal(t, dy[p*4+k], e.grad[node][p*width+ch],
					"single first %v: pixel %d channel %d of the concat", singleFirst, p, k)
			}
		}
		// The concat's own forward copies the same channels.
		for p := range n * 6 {
			assert.Equal(t, e.act[u][p*cu:(p+1)*cu], e.act[c][p*4:p*4+cu])
			assert.Equal(t, e.act[v][p*(4-cu):(p+1)*(4-cu)], e.act[c][p*4+cu:(p+1)*4])
		}
	}
}

// TestConvPaddingHandComputed runs a 3x3 same-padded conv with two input
// and two output channels on a 2x2 image and compares with values worked
// out by hand, forward and backward.
func TestConvPaddingHandComputed(t *testing.T) {
	g := graph.New(graph.Shape{H: 2, W: 2, C: 2}, 2)
	cv := g.Conv(0, 2, 3, 1)
	g.Softmax(g.Dense(g.GAP(cv), 2))
	withWeights(t, g, 7)
	// Image: channel 0 is 1 2 / 3 4, channel 1 is 10 20 / 30 40 (NHWC).
	x := []float64{1, 10, 2, 20, 3, 30, 4, 40}
	// Weights: output 0 reads channel 0 through the centre tap (1) and
	// the right-hand tap (ky=1, kx=2) with weight 0.5; output 1 reads
	// channel 1 through the top-left tap (ky=0, kx=0) with weight 1 and
	// the centre with weight -1. Biases 0.25 and -1.
	p := g.Layers[cv-1].Params
	clear(p.W)
	w := func(ky, kx, ci, co int, v float32) { p.W[((ky*3+kx)*2+ci)*2+co] = v }
	w(1, 1, 0, 0, 1)
	w(1, 2, 0, 0, 0.5)
	w(0, 0, 1, 1, 1)
	w(1, 1, 1, 1, -1)
	p.B = []float32{0.25, -1}
	// Output 0 at (y,x) = x0(y,x) + 0.5*x0(y,x+1) + 0.25, zero padding:
	//   (0,0) 1+1+0.25=2.25  (0,1) 2+0+0.25=2.25
	//   (1,0) 3+2+0.25=5.25  (1,1) 4+0+0.25=4.25
	// Output 1 at (y,x) = x1(y-1,x-1) - x1(y,x) - 1:
	//   (0,0) 0-10-1=-11  (0,1) 0-20-1=-21  (1,0) 0-30-1=-31  (1,1) 10-40-1=-31
	want := []float64{2.25, -11, 2.25, -21, 5.25, -31, 4.25, -31}
	e := newTestEngine(t, g, 1)
	copy(e.input(), x)
	e.forward(1, true)
	assert.Equal(t, want, e.act[cv][:8])

	// Backward with dy = 1 on output 0 at (0,1) and 2 on output 1 at
	// (1,1). dx0: (0,1) gets 1 through the centre; (0,2) is padding, so
	// nothing else. dx1: (1,1) gets -2 through the centre, (0,0) gets 2
	// through the top-left tap. dW of the centre tap, ci 0 -> co 0, is
	// x0(0,1) = 2; of the right tap it is x0(0,2) = 0 (padding); of the
	// top-left tap ci 1 -> co 1 it is 2*x1(0,0) = 20; db = (1, 2).
	dy := []float64{0, 0, 1, 0, 0, 0, 0, 2}
	e.backwardFrom(1, cv, dy)
	assert.Equal(t, []float64{0, 2, 1, 0, 0, 0, 0, -2}, e.grad[0][:8])
	ls := &e.layers[cv-1]
	dw := func(ky, kx, ci, co int) float64 { return ls.dw[((ky*3+kx)*2+ci)*2+co] }
	assert.Equal(t, 2.0, dw(1, 1, 0, 0))
	assert.Equal(t, 0.0, dw(1, 2, 0, 0))
	assert.Equal(t, 20.0, dw(0, 0, 1, 1))
	assert.Equal(t, 80.0, dw(1, 1, 1, 1), "centre tap ci 1 -> co 1: 2*x1(1,1) = 80")
	assert.Equal(t, []float64{1, 2}, ls.db)
}

// TestMaxPoolHandComputed pools a 4x4 image of two channels with a 2x2
// window, and a 3x3 window of stride 1 (overlapping), against values
// worked out by hand, forward and backward.
func TestMaxPoolHandComputed(t *testing.T) {
	// Channel 0 holds 0..15 row by row; channel 1 holds 15..0.
	x := make([]float64, 32)
	for i := range 16 {
		x[2*i], x[2*i+1] = float64(i), float64(15-i)
	}
	t.Run("2x2", func(t *testing.T) {
		g := graph.New(graph.Shape{H: 4, W: 4, C: 2}, 2)
		mp := g.MaxPool(0, 2)
		g.Softmax(g.Dense(g.GAP(mp), 2))
		withWeights(t, g, 8)
		e := newTestEngine(t, g, 1)
		copy(e.input(), x)
		e.forward(1, true)
		// Channel 0: maxima are the bottom-right of each window: 5 7 13 15;
		// channel 1: the top-left: 15 13 7 5.
		assert.Equal(t, []float64{5, 15, 7, 13, 13, 7, 15, 5}, e.act[mp][:8])
		e.backwardFrom(1, mp, []float64{1, 2, 3, 4, 5, 6, 7, 8})
		want := make([]float64, 32)
		for k, pos := range []int{5, 7, 13, 15} { // channel 0
			want[2*pos] = float64(2*k + 1)
		}
		for k, pos := range []int{0, 2, 8, 10} { // channel 1
			want[2*pos+1] = float64(2*k + 2)
		}
		assert.Equal(t, want, e.grad[0][:32])
	})
	t.Run("3x3-stride1", func(t *testing.T) {
		g := graph.New(graph.Shape{H: 4, W: 4, C: 2}, 2)
		mp := g.Append(graph.Layer{Kind: graph.MaxPool, Inputs: []int{0}, Kernel: 3, Stride: 1})
		g.Softmax(g.Dense(g.GAP(mp), 2))
		withWeights(t, g, 8)
		e := newTestEngine(t, g, 1)
		copy(e.input(), x)
		e.forward(1, true)
		// Output 2x2; channel 0 maxima at bottom-right corners 10 11 14 15,
		// channel 1 at top-left corners: 15 14 11 10.
		assert.Equal(t, []float64{10, 15, 11, 14, 14, 11, 15, 10}, e.act[mp][:8])
		// Overlapping windows: with channel 1 each output picks a different
		// input, so the gradient lands once on 0, 1, 4, 5.
		e.backwardFrom(1, mp, []float64{1, 1, 1, 1, 1, 1, 1, 1})
		want := make([]float64, 32)
		for _, pos := range []int{10, 11, 14, 15} {
			want[2*pos] = 1
		}
		for _, pos := range []int{0, 1, 4, 5} {
			want[2*pos+1] = 1
		}
		assert.Equal(t, want, e.grad[0][:32])
	})
	t.Run("overlap-accumulates", func(t *testing.T) {
		// A constant-free image whose maximum sits in the centre: every
		// 3x3 window of stride 1 over a 4x4 image contains (1,1)...(2,2);
		// put the maximum at (1,1) of channel 0 and (2,2) of channel 1, so
		// all four windows choose it and its gradient is the sum.
		g := graph.New(graph.Shape{H: 4, W: 4, C: 2}, 2)
		mp := g.Append(graph.Layer{Kind: graph.MaxPool, Inputs: []int{0}, Kernel: 3, Stride: 1})
		g.Softmax(g.Dense(g.GAP(mp), 2))
		withWeights(t, g, 8)
		e := newTestEngine(t, g, 1)
		y := make([]float64, 32)
		y[2*5], y[2*10+1] = 100, 100
		copy(e.input(), y)
		e.forward(1, true)
		e.backwardFrom(1, mp, []float64{1, 10, 2, 20, 3, 30, 4, 40})
		want := make([]float64, 32)
		want[2*5], want[2*10+1] = 1+2+3+4, 10+20+30+40
		assert.Equal(t, want, e.grad[0][:32])
	})
}

// TestDropoutScaling checks inverted dropout: in training mode each value
// is either dropped or scaled by 1/(1-rate), about rate of them dropped;
// in inference mode it is the identity. (The finite-difference test only
// sees that forward and backward use the same mask.)
func TestDropoutScaling(t *testing.T) {
	const rate, n = 0.25, 64
	g := graph.New(graph.Shape{C: 100}, 2)
	d := g.Dropout(0, rate)
	g.Softmax(g.Dense(d, 2))
	withWeights(t, g, 9)
	e, err := newEngine[float32](g, n, 2, true, Gonum{}.Sgemm)
	require.NoError(t, err)
	x := e.input()
	for i := range x {
		x[i] = float32(i%7) + 1
	}
	e.dropSeed = 1
	e.forward(n, true)
	dropped := 0
	for i, v := range e.act[d][:n*100] {
		if v == 0 {
			dropped++
			continue
		}
		require.InDelta(t, x[i]/(1-rate), v, 1e-5, "value %d", i)
	}
	// 6400 Bernoulli(0.25) draws: standard deviation about 35, so 5
	// deviations is 175.
	assert.InDelta(t, rate*n*100, float64(dropped), 175)
	e.forward(n, false)
	assert.Equal(t, x[:n*100], e.act[d][:n*100])
}

// TestSoftmaxOwnBackward checks the softmax layer's own backward pass (the
// trainer folds it into the cross-entropy, so the finite-difference test
// of whole networks does not reach it) against central differences of
// L = Σ dy·softmax(z) with a random dy. Tolerances as in
// TestGradientsFiniteDifferences.
func TestSoftmaxOwnBackward(t *testing.T) {
	g := graph.New(graph.Shape{C: 4}, 5)
	out := g.Softmax(g.Dense(0, 5))
	withWeights(t, g, 12)
	const n = 7
	e := newTestEngine(t, g, n)
	rng := rand.New(rand.NewPCG(13, 13))
	copy(e.input(), randInput(rng, n*4))
	dy := randInput(rng, n*5)
	objective := func() float64 {
		e.forward(n, true)
		var s float64
		for j, v := range e.act[out][:n*5] {
			s += dy[j] * v
		}
		return s
	}
	objective()
	e.backwardFrom(n, out, dy)
	analytic := append([]float64(nil), e.grad[0][:n*4]...)
	const h = 1e-5
	x := e.input()
	for j := range n * 4 {
		old := x[j]
		x[j] = old + h
		up := objective()
		x[j] = old - h
		down := objective()
		x[j] = old
		fd := (up - down) / (2 * h)
		require.InDelta(t, fd, analytic[j], 1e-8+1e-6*math.Abs(fd), "input %d", j)
	}
}
