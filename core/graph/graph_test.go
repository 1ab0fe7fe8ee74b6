package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// skipNet is a small network with an add skip across a pooling layer and a
// concat skip, the shapes morphisms produce.
func skipNet() *Graph {
	g := New(Shape{H: 8, W: 8, C: 3}, 4)
	a := g.ReLU(g.BatchNorm(g.Conv(0, 6, 3, 1)))
	b := g.MaxPool(a, 2)
	c := g.ReLU(g.BatchNorm(g.Conv(b, 6, 3, 2)))
	br := g.Conv(g.MaxPool(g.MaxPool(a, 2), 2), 6, 1, 1)
	s := g.Sum(c, br)
	d := g.ReLU(g.BatchNorm(g.Conv(s, 5, 3, 1)))
	cat := g.Concat(d, c)
	f := g.Append(Layer{Kind: Conv2D, Inputs: []int{cat}, Units: 5, Kernel: 1, Skip: true})
	h := g.ReLU(g.Dense(g.GAP(f), 7))
	g.Softmax(g.Dense(g.Dropout(h, 0.5), 4))
	return g
}

func randomInput(rng *rand.Rand, n int, s Shape) []float64 {
	x := make([]float64, n*s.Size())
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	return x
}

func TestShapesMatchForward(t *testing.T) {
	cases := map[string]*Graph{
		"initial":  Initial(Shape{H: 28, W: 28, C: 1}, 10),
		"skips":    skipNet(),
		"mlp":      MLP(Shape{H: 4, W: 4, C: 2}, 3, []int{5, 7}),
		"mlp-flat": MLP(Shape{C: 6}, 2, []int{3}),
	}
	for name, g := range cases {
		t.Run(name, func(t *testing.T) {
			require.NoError(t, g.Validate())
			shapes, err := g.Shapes()
			require.NoError(t, err)
			rng := rand.New(rand.NewPCG(1, 2))
			require.NoError(t, g.InitWeights(rng))
			const n = 3
			act, err := g.Forward(randomInput(rng, n, g.Input), n)
			require.NoError(t, err)
			for v, a := range act {
				assert.Equal(t, n*shapes[v].Size(), len(a), "node %d shape %v", v, shapes[v])
			}
			// The output is a probability distribution per example.
			out := act[g.Output()]
			for b := range n {
				var sum float64
				for _, p := range out[b*g.Classes : (b+1)*g.Classes] {
					assert.GreaterOrEqual(t, p, 0.0)
					sum += p
				}
				assert.InDelta(t, 1, sum, 1e-12)
			}
		})
	}
}

func TestInitialShapes(t *testing.T) {
	g := Initial(Shape{H: 28, W: 28, C: 1}, 10)
	shapes, err := g.Shapes()
	require.NoError(t, err)
	// 28 -> pool 14 -> pool 7 -> pool 3 (valid padding), then GAP to 64.
	assert.Equal(t, Shape{H: 3, W: 3, C: 64}, shapes[12])
	assert.Equal(t, Shape{C: 64}, shapes[13])
	assert.Equal(t, Shape{C: 10}, shapes[g.Output()])
	// Params by hand: conv 3*3*1*64+64, two convs 3*3*64*64+64, three batch
	// norms of 4*64, dense 64*10+10.
	want := (9*64 + 64) + 2*(9*64*64+64) + 3*4*64 + 64*10 + 10
	got, err := g.ParamCount()
	require.NoError(t, err)
	assert.Equal(t, want, got)
}

func TestBadGraphs(t *testing.T) {
	cases := []struct {
		name  string
		build func() *Graph
		layer int
		msg   string
	}{
		{"cycle", func() *Graph {
			g := New(Shape{H: 4, W: 4, C: 1}, 2)
			g.ReLU(0)
			a := g.ReLU(3) // reads the node produced by the next layer
			g.ReLU(a)
			g.Softmax(g.Dense(g.GAP(a), 2))
			return g
		}, 1, "cycle"},
		{"add shapes", func() *Graph {
			g := New(Shape{H: 4, W: 4, C: 1}, 2)
			a := g.Conv(0, 3, 3, 1)
			b := g.Conv(0, 4, 3, 1)
			g.Softmax(g.Dense(g.GAP(g.Sum(a, b)), 2))
			return g
		}, 2, "4x4x3 and 4x4x4"},
		{"concat spatial", func() *Graph {
			g := New(Shape{H: 4, W: 4, C: 1}, 2)
			a := g.Conv(0, 3, 3, 1)
			b := g.MaxPool(a, 2)
			g.Softmax(g.Dense(g.GAP(g.Concat(a, b)), 2))
			return g
		}, 2, "same spatial size"},
		{"dense on spatial", func() *Graph {
			g := New(Shape{H: 4, W: 4, C: 1}, 2)
			g.Softmax(g.Dense(0, 2))
			return g
		}, 0, "want flat"},
		{"missing node", func() *Graph {
			g := New(Shape{H: 4, W: 4, C: 1}, 2)
			g.Softmax(g.Dense(g.GAP(9), 2))
			return g
		}, 0, "does not exist"},
		{"dangling", func() *Graph {
			g := New(Shape{H: 4, W: 4, C: 1}, 2)
			g.Conv(0, 3, 3, 1)
			g.Softmax(g.Dense(g.GAP(0), 2))
			return g
		}, 0, "does not lead to the output"},
		{"softmax width", func() *Graph {
			g := New(Shape{H: 4, W: 4, C: 1}, 2)
			g.Softmax(g.Dense(g.GAP(0), 3))
			return g
		}, 2, "want [2]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.build().Validate()
			require.Error(t, err)
			var le *LayerError
			require.True(t, errors.As(err, &le), "error %v is not a LayerError", err)
			assert.Equal(t, c.layer, le.Layer, "error: %v", err)
			assert.Contains(t, err.Error(), c.msg)
		})
	}
}

func TestJSONRoundTrip(t *testing.T) {
	g := skipNet()
	data, err := g.MarshalIndent()
	require.NoError(t, err)
	back, err := Parse(data)
	require.NoError(t, err)
	assert.Equal(t, g.Hash(), back.Hash())
	again, err := back.MarshalIndent()
	require.NoError(t, err)
	assert.Equal(t, string(data), string(again))
}

func TestJSONUnknownKind(t *testing.T) {
	data, err := Initial(Shape{H: 8, W: 8, C: 1}, 3).MarshalIndent()
	require.NoError(t, err)
	var raw map[string]any
	require.NoError(t, json.Unmarshal(data, &raw))
	raw["layers"].([]any)[4].(map[string]any)["kind"] = "swish"
	bad, err := json.Marshal(raw)
	require.NoError(t, err)
	_, err = Parse(bad)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "layer 4 (swish")
	assert.Contains(t, err.Error(), "unknown layer kind")
}

func TestHashIgnoresAppendOrder(t *testing.T) {
	// The same network with its two branches appended in opposite orders.
	build := func(branchFirst bool) *Graph {
		g := New(Shape{H: 6, W: 6, C: 2}, 3)
		a := g.ReLU(g.Conv(0, 4, 3, 1))
		var main, br int
		if branchFirst {
			br = g.Conv(a, 4, 1, 1)
			main = g.ReLU(g.Conv(a, 4, 3, 1))
		} else {
			main = g.ReLU(g.Conv(a, 4, 3, 1))
			br = g.Conv(a, 4, 1, 1)
		}
		g.Softmax(g.Dense(g.GAP(g.Sum(main, br)), 3))
		return g
	}
	a, b := build(false), build(true)
	require.NoError(t, a.Validate())
	require.NoError(t, b.Validate())
	assert.Equal(t, a.Hash(), b.Hash())

	// Any change of a setting changes the hash.
	c := build(false)
	c.Layers[0].Units = 5
	c.Layers[2].Units = 5
	assert.NotEqual(t, a.Hash(), c.Hash())
}

func TestForwardConvByHand(t *testing.T) {
	// A 3x3 input, one channel, a 3x3 kernel of ones plus bias 1, same
	// padding: each output is 1 plus the sum of its in-bounds neighbours.
	g := New(Shape{H: 3, W: 3, C: 1}, 2)
	c := g.Conv(0, 1, 3, 1)
	g.Softmax(g.Dense(g.Flatten(c), 2))
	g.Layers[0].Params = &Params{W: fill(9, 1), B: []float32{1}}
	g.Layers[2].Params = &Params{W: make([]float32, 18), B: make([]float32, 2)}
	x := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9}
	act, err := g.Forward(x, 1)
	require.NoError(t, err)
	want := []float64{
		1 + 1 + 2 + 4 + 5, 1 + 1 + 2 + 3 + 4 + 5 + 6, 1 + 2 + 3 + 5 + 6,
		1 + 1 + 2 + 4 + 5 + 7 + 8, 1 + 45, 1 + 2 + 3 + 5 + 6 + 8 + 9,
		1 + 4 + 5 + 7 + 8, 1 + 4 + 5 + 6 + 7 + 8 + 9, 1 + 5 + 6 + 8 + 9,
	}
	assert.Equal(t, want, act[c])

	// Stride 2 on 3x3: output 2x2, padding 1 before (SamePadding(3,3,2)=1).
	assert.Equal(t, 1, SamePadding(3, 3, 2))
	assert.Equal(t, 0, SamePadding(4, 1, 2))
	assert.Equal(t, 0, SamePadding(4, 3, 2)) // total 1: none before, one after
}

func TestForwardPoolAndBN(t *testing.T) {
	g := New(Shape{H: 2, W: 2, C: 2}, 2)
	bn := g.BatchNorm(0)
	p := g.MaxPool(bn, 2)
	g.Softmax(g.Dense(g.Flatten(p), 2))
	g.Layers[0].Params = &Params{Gamma: []float32{2, 1}, Beta: []float32{1, 0}, Mean: []float32{1, 0}, Var: []float32{4, 1}}
	g.Layers[3].Params = &Params{W: make([]float32, 4), B: make([]float32, 2)}
	// Channel 0 values 1, 3, 5, -1; channel 1 values 0, -2, 2, 1.
	x := []float64{1, 0, 3, -2, 5, 2, -1, 1}
	act, err := g.Forward(x, 1)
	require.NoError(t, err)
	// Channel 0: 2*(5-1)/sqrt(4+eps)+1; channel 1: 2/sqrt(1+eps).
	assert.InDelta(t, 2*4/math.Sqrt(4+BNEpsilon)+1, act[p][0], 1e-12)
	assert.InDelta(t, 2/math.Sqrt(1+BNEpsilon), act[p][1], 1e-12)
}

func TestWeightsRoundTrip(t *testing.T) {
	g := skipNet()
	require.NoError(t, g.InitWeights(rand.New(rand.NewPCG(3, 4))))
	var buf bytes.Buffer
	require.NoError(t, g.WriteWeights(&buf))
	data := buf.Bytes()

	back := g.Clone(false)
	require.NoError(t, back.ReadWeights(bytes.NewReader(data)))
	for i := range g.Layers {
		assert.Equal(t, g.Layers[i].Params, back.Layers[i].Params, "layer %d", i)
	}

	// Every truncation and a flipped byte are detected, and leave the graph
	// unchanged.
	for _, cut := range []int{0, 3, 10, len(data) / 2, len(data) - 1} {
		bare := g.Clone(false)
		err := bare.ReadWeights(bytes.NewReader(data[:cut]))
		require.ErrorIs(t, err, ErrCorruptWeights, "cut at %d", cut)
		assert.False(t, bare.HasWeights())
	}
	flipped := bytes.Clone(data)
	flipped[len(flipped)/2] ^= 0xff
	require.ErrorIs(t, g.Clone(false).ReadWeights(bytes.NewReader(flipped)), ErrCorruptWeights)

	// Weights of another architecture do not fit.
	other := Initial(Shape{H: 8, W: 8, C: 3}, 4)
	require.ErrorIs(t, other.ReadWeights(bytes.NewReader(data)), ErrCorruptWeights)
}

func TestCloneIsDeep(t *testing.T) {
	g := skipNet()
	require.NoError(t, g.InitWeights(rand.New(rand.NewPCG(5, 6))))
	c := g.Clone(true)
	c.Layers[0].Params.W[0] += 1
	c.Layers[5].Inputs[0] = 0
	assert.NotEqual(t, c.Layers[0].Params.W[0], g.Layers[0].Params.W[0])
	assert.NotEqual(t, 0, g.Layers[5].Inputs[0])
	bare := g.Clone(false)
	assert.False(t, bare.HasWeights())
	_, err := bare.Forward(make([]float64, g.Input.Size()), 1)
	assert.ErrorIs(t, err, ErrNoWeights)
}

func TestMainChain(t *testing.T) {
	g := skipNet()
	chain := g.MainChain()
	assert.Equal(t, 0, chain[0])
	assert.Equal(t, g.Output(), chain[len(chain)-1])
	// The branch conv and its pools are not on the main chain.
	for _, v := range chain {
		assert.NotEqual(t, 9, v)
		assert.NotEqual(t, 10, v)
	}
}

func TestMemoryBytesGrowsWithBatch(t *testing.T) {
	g := Initial(Shape{H: 28, W: 28, C: 1}, 10)
	m8, err := g.MemoryBytes(8)
	require.NoError(t, err)
	m64, err := g.MemoryBytes(64)
	require.NoError(t, err)
	p, _ := g.ParamCount()
	// The parameters count 4 + batch/8 times (4 bytes each); the rest
	// grows in proportion to the batch.
	fixed := func(b int) int64 { return int64(4 * (4 + b/8) * p) }
	assert.Equal(t, m64-fixed(64), 8*(m8-fixed(8)))
}
