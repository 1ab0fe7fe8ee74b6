package morph

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/morphnas/morphnas/core/graph"
)

// TestEveryOptionKeepsTheFunction applies each operation Options offers, on
// every fixture, to a model with random weights and to the bare
// architecture: both give the same valid graph, the model computes what its
// parent computed at every surviving node, and the bare one gets no weights.
func TestEveryOptionKeepsTheFunction(t *testing.T) {
	for _, f := range fixtures {
		base := f.build()
		require.NoError(t, base.Validate(), f.name)
		ops := Options(base)
		require.NotEmpty(t, ops, f.name)
		parent := withWeights(t, base.Clone(false), 1)
		x := randomInput(parent, 3, 2)
		for _, op := range ops {
			t.Run(f.name+"/"+op.String(), func(t *testing.T) {
				child := parent.Clone(true)
				require.NoError(t, Apply(child, op, nil))
				require.NoError(t, child.Validate())
				checkPreserved(t, parent, child, x, 3)

				bare := base.Clone(false)
				require.NoError(t, Apply(bare, op, nil))
				assert.True(t, noParams(bare), "bare application allocated weights")
				assert.Equal(t, child.Hash(), bare.Hash())
				assert.NotEqual(t, base.Hash(), bare.Hash(), "the op changed nothing")
			})
		}
	}
}

// find returns the fixture graph with the given name.
func find(t *testing.T, name string) *graph.Graph {
	for _, f := range fixtures {
		if f.name == name {
			return f.build()
		}
	}
	t.Fatalf("no fixture %q", name)
	return nil
}

// TestApplyCases checks chosen operations, including ones Options does not
// offer, for the layers they add and change and for function preservation.
func TestApplyCases(t *testing.T) {
	cases := []struct {
		fixture string
		op      Op
		check   func(t *testing.T, before, after *graph.Graph)
	}{
		{"plain", Op{Kind: Deepen, Node: 3, Kernel: 3}, func(t *testing.T, b, a *graph.Graph) {
			// conv, batch norm and ReLU after the ReLU output 3; the pool
			// (layer 3) reads the new ReLU.
			n := len(b.Layers)
			require.Len(t, a.Layers, n+3)
			assert.Equal(t, []graph.Kind{graph.Conv2D, graph.BatchNorm, graph.ReLU},
				[]graph.Kind{a.Layers[n].Kind, a.Layers[n+1].Kind, a.Layers[n+2].Kind})
			assert.Equal(t, 4, a.Layers[n].Units)
			assert.Equal(t, []int{n + 3}, a.Layers[3].Inputs)
		}},
		{"plain", Op{Kind: Deepen, Node: 1, Kernel: 5}, func(t *testing.T, b, a *graph.Graph) {
			// After a conv output, which can be negative: no ReLU.
			n := len(b.Layers)
			require.Len(t, a.Layers, n+2)
			assert.Equal(t, graph.BatchNorm, a.Layers[n+1].Kind)
			assert.Equal(t, 5, a.Layers[n].Kernel)
		}},
		{"plain", Op{Kind: Deepen, Node: 0}, func(t *testing.T, b, a *graph.Graph) {
			// After the input: a conv of the input's width, 3x3 by default.
			n := len(b.Layers)
			require.Len(t, a.Layers, n+2)
			assert.Equal(t, 3, a.Layers[n].Units)
			assert.Equal(t, 3, a.Layers[n].Kernel)
		}},
		{"mlp", Op{Kind: Deepen, Node: 3, Units: 8}, func(t *testing.T, b, a *graph.Graph) {
			n := len(b.Layers)
			require.Len(t, a.Layers, n+3)
			assert.Equal(t, graph.Dense, a.Layers[n].Kind)
			assert.Equal(t, 8, a.Layers[n].Units)
		}},
		{"add", Op{Kind: Widen, Node: 1, Units: 8}, func(t *testing.T, b, a *graph.Graph) {
			// Conv 1 feeds the add at node 8 through the pool; the add's
			// other input comes from the conv at node 5, which widens too.
			// The consumers (conv 5, conv 9 and the 1x1 branch conv 12)
			// read the wider tensors.
			assert.Equal(t, 8, a.Layers[0].Units)
			assert.Equal(t, 8, a.Layers[4].Units)
			shapes, err := a.Shapes()
			require.NoError(t, err)
			assert.Equal(t, 8, shapes[8].C)
			assert.Equal(t, 6, shapes[9].C)
			assert.Equal(t, 6, shapes[12].C)
		}},
		{"add", Op{Kind: Widen, Node: 12, Units: 9}, func(t *testing.T, b, a *graph.Graph) {
			// The 1x1 conv on a branch: the add at 13 and the conv at node
			// 9 on the other side widen with it, and so does the
			// classifier's input.
			assert.Equal(t, 9, a.Layers[11].Units)
			assert.Equal(t, 9, a.Layers[8].Units)
			shapes, err := a.Shapes()
			require.NoError(t, err)
			assert.Equal(t, 9, shapes[14].C)
		}},
		{"concat", Op{Kind: Widen, Node: 5, Units: 7}, func(t *testing.T, b, a *graph.Graph) {
			// The main input of the concat: 7 + 4 channels; the 1x1 conv
			// after it keeps its width. Widening 5 to 7 copies units 0
			// and 1 only.
			shapes, err := a.Shapes()
			require.NoError(t, err)
			assert.Equal(t, 11, shapes[9].C)
			assert.Equal(t, 5, shapes[10].C)
		}},
		{"concat", Op{Kind: Widen, Node: 1, Units: 8}, func(t *testing.T, b, a *graph.Graph) {
			// The skip input of the concat: its channels sit at offset 5.
			shapes, err := a.Shapes()
			require.NoError(t, err)
			assert.Equal(t, 13, shapes[9].C)
			assert.Equal(t, 8, shapes[4].C, "pool on the main chain")
		}},
		{"concat", Op{Kind: Widen, Node: 10, Units: 6}, func(t *testing.T, b, a *graph.Graph) {
			// The 1x1 conv folding the concat back (not offered by
			// Options, but valid): the conv after it reads 6 channels.
			assert.Equal(t, 6, a.Layers[9].Units)
			assert.True(t, a.Layers[9].Skip)
		}},
		{"concat-add", Op{Kind: Widen, Node: 2, Units: 3}, func(t *testing.T, b, a *graph.Graph) {
			// The second input of the concat: its copy lands after the
			// concat's channels, where the add's other input, the conv at
			// node 3, puts its copy of channel 4 too.
			assert.Equal(t, 3, a.Layers[1].Units)
			assert.Equal(t, 7, a.Layers[2].Units)
		}},
		{"strided", Op{Kind: Widen, Node: 1, Units: 8}, func(t *testing.T, b, a *graph.Graph) {
			assert.Equal(t, 2, a.Layers[0].Stride, "a strided conv keeps its stride")
			assert.Equal(t, 8, a.Layers[0].Units)
		}},
		{"strided", Op{Kind: Widen, Node: 7, Units: 12}, func(t *testing.T, b, a *graph.Graph) {
			assert.Equal(t, 2, a.Layers[6].Stride)
			assert.Equal(t, 12, a.Layers[6].Units)
		}},
		{"flatten", Op{Kind: Widen, Node: 1, Units: 5}, func(t *testing.T, b, a *graph.Graph) {
			// 4x4x3 flattened to 48 becomes 4x4x5 flattened to 80.
			shapes, err := a.Shapes()
			require.NoError(t, err)
			assert.Equal(t, 80, shapes[4].C)
		}},
		{"flatten", Op{Kind: Widen, Node: 5, Units: 10}, func(t *testing.T, b, a *graph.Graph) {
			assert.Equal(t, 10, a.Layers[4].Units)
		}},
		{"mlp", Op{Kind: Widen, Node: 1, Units: 20}, func(t *testing.T, b, a *graph.Graph) {
			// 8 to 20: units 0 to 3 get two copies, 4 to 7 one.
			assert.Equal(t, 20, a.Layers[0].Units)
		}},
		{"pooled-odd", Op{Kind: AddSkip, Node: 3, To: 11}, func(t *testing.T, b, a *graph.Graph) {
			// From the 7x7 ReLU output across two pools (7 -> 3 -> 1): two
			// max pools on the branch, a 1x1 conv from 4 to 4 channels,
			// and the add read by the main chain.
			n := len(b.Layers)
			require.Len(t, a.Layers, n+4)
			for k, want := range []graph.Kind{graph.MaxPool, graph.MaxPool, graph.Conv2D, graph.Add} {
				assert.Equal(t, want, a.Layers[n+k].Kind, "new layer %d", k)
			}
			assert.Equal(t, []int{11, n + 3}, a.Layers[n+3].Inputs)
			assert.Equal(t, []int{n + 4}, a.Layers[11].Inputs)
		}},
		{"pooled-odd", Op{Kind: ConcatSkip, Node: 4, To: 12}, func(t *testing.T, b, a *graph.Graph) {
			// From a pool output (3x3x4) to the dropout output (1x1x5)
			// across one pool.
			n := len(b.Layers)
			require.Len(t, a.Layers, n+3)
			assert.Equal(t, graph.MaxPool, a.Layers[n].Kind)
			assert.Equal(t, graph.Concat, a.Layers[n+1].Kind)
			l := a.Layers[n+2]
			assert.True(t, l.Skip)
			assert.Equal(t, 5, l.Units)
			assert.Equal(t, 1, l.Kernel)
		}},
		{"strided", Op{Kind: ConcatSkip, Node: 3, To: 9}, func(t *testing.T, b, a *graph.Graph) {
			// Across the stride-2 conv at node 7: a window-1 pool of
			// stride 2 gives the same 3x3 size.
			n := len(b.Layers)
			p := a.Layers[n]
			assert.Equal(t, graph.MaxPool, p.Kind)
			assert.Equal(t, 1, p.Kernel)
			assert.Equal(t, 2, p.Stride)
		}},
		{"strided", Op{Kind: AddSkip, Node: 0, To: 3}, func(t *testing.T, b, a *graph.Graph) {
			// From the input across the first strided conv.
			n := len(b.Layers)
			require.Len(t, a.Layers, n+3)
			assert.Equal(t, 4, a.Layers[n+1].Units)
		}},
		{"add", Op{Kind: AddSkip, Node: 3, To: 7}, func(t *testing.T, b, a *graph.Graph) {
			// A second skip into the ReLU output 7 that an add already
			// joins: the existing add reads the new one on its main input.
			n := len(b.Layers)
			assert.Equal(t, []int{n + 3, 4}, a.Layers[7].Inputs)
			assert.Equal(t, []int{7, n + 2}, a.Layers[n+2].Inputs)
		}},
		{"mlp", Op{Kind: ConcatSkip, Node: 3, To: 6}, func(t *testing.T, b, a *graph.Graph) {
			n := len(b.Layers)
			require.Len(t, a.Layers, n+2)
			assert.Equal(t, graph.Dense, a.Layers[n+1].Kind)
			assert.True(t, a.Layers[n+1].Skip)
		}},
		{"mlp", Op{Kind: AddSkip, Node: 3, To: 7}, func(t *testing.T, b, a *graph.Graph) {
			// Into the logits: a flat branch of one dense layer.
			n := len(b.Layers)
			require.Len(t, a.Layers, n+2)
			assert.Equal(t, 3, a.Layers[n].Units)
		}},
	}
	for _, c := range cases {
		t.Run(c.fixture+"/"+c.op.String(), func(t *testing.T) {
			before := find(t, c.fixture)
			parent := withWeights(t, before.Clone(false), 3)
			child := parent.Clone(true)
			require.NoError(t, Apply(child, c.op, nil))
			require.NoError(t, child.Validate())
			c.check(t, before, child)
			checkPreserved(t, parent, child, randomInput(parent, 4, 5), 4)

			bare := before.Clone(false)
			require.NoError(t, Apply(bare, c.op, nil))
			assert.Equal(t, child.Hash(), bare.Hash())
			assert.True(t, noParams(bare))
		})
	}
}

// TestApplyErrors checks that operations that do not fit the graph are
// refused with an error naming the operation and the reason, and that the
// graph, weights included, is left as it was.
func TestApplyErrors(t *testing.T) {
	cases := []struct {
		fixture string
		op      Op
		want    string
	}{
		{"plain", Op{Kind: Deepen, Node: 99}, "morph: deepen(node 99): node 99 does not exist (graph has nodes 0 to 11)"},
		{"plain", Op{Kind: Deepen, Node: -1}, "node -1 does not exist"},
		{"plain", Op{Kind: Deepen, Node: 11}, "node 11 is the output"},
		{"plain", Op{Kind: Deepen, Node: 3, Kernel: 2}, "kernel 2, want an odd size"},
		{"plain", Op{Kind: Deepen, Node: 3, Units: 9}, "units 9: deepen keeps the width 4 of node 3"},
		{"mlp", Op{Kind: Deepen, Node: 3, Kernel: 3}, "kernel 3 given, but node 3 is flat [8]"},
		{"plain", Op{Kind: Deepen, Node: 3, To: 4}, "to is not used by deepen"},
		{"add", Op{Kind: Deepen, Node: 12}, "node 12 (conv2d) is not on the main chain"},
		{"plain", Op{Kind: Widen, Node: 3, Units: 8}, "morph: widen(node 3, units 8): node 3 is produced by relu, want conv2d or dense"},
		{"plain", Op{Kind: Widen, Node: 0, Units: 8}, "node 0 is the input"},
		{"plain", Op{Kind: Widen, Node: 1, Units: 4}, "units 4, want more than the current width 4 of node 1"},
		{"plain", Op{Kind: Widen, Node: 40, Units: 8}, "node 40 does not exist"},
		{"plain", Op{Kind: Widen, Node: 10, Units: 8}, "the widened area reaches the output"},
		{"plain", Op{Kind: Widen, Node: 1, Units: 8, To: 3}, "to and kernel are not used by widen"},
		{"concat-add", Op{Kind: Widen, Node: 1, Units: 8}, "cannot align the widened inputs 4 and 3 of layer 4 (add)"},
		{"plain", Op{Kind: AddSkip, Node: 8, To: 4}, "morph: add-skip(node 8, to 4): to 4 comes before node 8 on the main chain"},
		{"plain", Op{Kind: ConcatSkip, Node: 4, To: 4}, "node and to are both 4"},
		{"plain", Op{Kind: AddSkip, Node: 4, To: 11}, "to 11 is the output"},
		{"plain", Op{Kind: AddSkip, Node: 4, To: 50}, "to 50 does not exist"},
		{"plain", Op{Kind: AddSkip, Node: 4, To: 9}, "node 4 is 4x4x4 and to 9 is [6]: a skip cannot cross a flatten or global pooling"},
		{"concat", Op{Kind: AddSkip, Node: 8, To: 11}, "node 8 (maxpool) is not on the main chain"},
		{"plain", Op{Kind: AddSkip, Node: 4, To: 8, Units: 3}, "units and kernel are not used by add-skip"},
		{"plain", Op{Kind: "shrink", Node: 4}, `unknown operation "shrink"`},
	}
	for _, c := range cases {
		t.Run(c.fixture+"/"+c.op.String(), func(t *testing.T) {
			g := withWeights(t, find(t, c.fixture), 1)
			before := g.Clone(true)
			err := Apply(g, c.op, nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.ErrorIs(t, err, ErrInvalidOp)
			var oe *OpError
			require.True(t, errors.As(err, &oe))
			assert.Equal(t, c.op, oe.Op)
			assert.Equal(t, before, g, "graph changed by a failed op")
		})
	}
}

// TestApplyInvalidGraph checks that a graph that does not validate is
// refused before any change.
func TestApplyInvalidGraph(t *testing.T) {
	g := find(t, "plain")
	g.Layers[4].Inputs = []int{11}
	err := Apply(g, Op{Kind: Deepen, Node: 3}, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "morph: deepen(node 3): graph is not valid: graph: layer")
	assert.Nil(t, Options(g))
}

// TestApplyAllIsAtomic checks that a failing op in a sequence leaves the
// graph as it was before the first op, and that the error says which op.
func TestApplyAllIsAtomic(t *testing.T) {
	g := withWeights(t, find(t, "plain"), 1)
	before := g.Clone(true)
	ops := []Op{{Kind: Deepen, Node: 3, Kernel: 3}, {Kind: Widen, Node: 1, Units: 8}, {Kind: Widen, Node: 3, Units: 8}}
	err := ApplyAll(g, ops, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "morph: widen(node 3, units 8): node 3 is produced by relu, want conv2d or dense (op 3 of 3)")
	assert.Equal(t, before, g)
	require.NoError(t, ApplyAll(g, ops[:2], nil))
	checkPreserved(t, before, g, randomInput(g, 2, 1), 2)
}

// TestNoise checks that a noise source perturbs the new weights, by an
// amount of the order of NoiseStd, and leaves the output close to the
// parent's.
func TestNoise(t *testing.T) {
	for _, op := range []Op{
		{Kind: Deepen, Node: 3, Kernel: 3},
		{Kind: Widen, Node: 1, Units: 8},
		{Kind: AddSkip, Node: 4, To: 8},
		{Kind: ConcatSkip, Node: 4, To: 8},
	} {
		t.Run(op.String(), func(t *testing.T) {
			parent := withWeights(t, find(t, "plain"), 1)
			quiet, noisy := parent.Clone(true), parent.Clone(true)
			require.NoError(t, Apply(quiet, op, nil))
			require.NoError(t, Apply(noisy, op, rand.New(rand.NewPCG(1, 2))))
			require.Equal(t, quiet.Hash(), noisy.Hash())
			maxDiff := 0.0
			for i := range quiet.Layers {
				if q := quiet.Layers[i].Params; q != nil {
					for j, w := range q.W {
						maxDiff = max(maxDiff, float64(abs32(w-noisy.Layers[i].Params.W[j])))
					}
				}
			}
			assert.Greater(t, maxDiff, NoiseStd/10, "no noise added")
			assert.Less(t, maxDiff, 10*NoiseStd, "noise larger than NoiseStd allows")

			x := randomInput(parent, 2, 3)
			a, err := parent.Forward(x, 2)
			require.NoError(t, err)
			b, err := noisy.Forward(x, 2)
			require.NoError(t, err)
			out := parent.Output()
			for j := range a[out] {
				assert.InDelta(t, a[out][j], b[out][j], 0.05)
			}
		})
	}
}

func abs32(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}

// TestOptionsInitial checks Omega(f) of the paper's initial architecture
// against the list written out by hand from the documented rules.
func TestOptionsInitial(t *testing.T) {
	g := graph.Initial(graph.Shape{H: 28, W: 28, C: 1}, 10)
	// Layers: 1 conv, 2 bn, 3 relu, 4 pool, 5 conv, 6 bn, 7 relu, 8 pool,
	// 9 conv, 10 bn, 11 relu, 12 pool, 13 gap, 14 dense, 15 softmax.
	want := []Op{
		{Kind: Deepen, Node: 3, Kernel: 3}, {Kind: Deepen, Node: 7, Kernel: 3},
		{Kind: Deepen, Node: 11, Kernel: 3}, {Kind: Deepen, Node: 13, Units: 64},
		{Kind: Widen, Node: 1, Units: 128}, {Kind: Widen, Node: 5, Units: 128}, {Kind: Widen, Node: 9, Units: 128},
		{Kind: AddSkip, Node: 4, To: 8}, {Kind: ConcatSkip, Node: 4, To: 8},
		{Kind: AddSkip, Node: 4, To: 12}, {Kind: ConcatSkip, Node: 4, To: 12},
		{Kind: AddSkip, Node: 8, To: 12}, {Kind: ConcatSkip, Node: 8, To: 12},
	}
	assert.Equal(t, want, Options(g))

	// An existing skip is not offered again, in either form.
	require.NoError(t, Apply(g, Op{Kind: AddSkip, Node: 4, To: 8}, nil))
	for _, op := range Options(g) {
		assert.False(t, (op.Kind == AddSkip || op.Kind == ConcatSkip) && op.Node == 4 && op.To == 8, "offered %v again", op)
	}
	require.NoError(t, Apply(g, Op{Kind: ConcatSkip, Node: 4, To: 12}, nil))
	for _, op := range Options(g) {
		assert.False(t, op.Node == 4 && op.To == 12, "offered %v again", op)
	}
}

// TestOptionsWidthCap checks that widen stops at the documented caps.
func TestOptionsWidthCap(t *testing.T) {
	g := graph.PlainCNN(graph.Shape{H: 4, W: 4, C: 1}, 2, []graph.ConvSpec{{Units: MaxConvWidth / 2}, {Units: MaxConvWidth/2 + 1}})
	var widened []int
	for _, op := range Options(g) {
		if op.Kind == Widen {
			widened = append(widened, op.Node)
		}
	}
	assert.Equal(t, []int{1}, widened)
}

// TestOptionsCount checks the number of options of plain chains against
// the documented count: b deepens after the ReLUs, one after global
// pooling, b widens, and two skips per pair of block ends at most
// MaxSkipSpan apart.
func TestOptionsCount(t *testing.T) {
	for _, b := range []int{1, 3, 7, 12} {
		blocks := make([]graph.ConvSpec, b)
		for i := range blocks {
			blocks[i] = graph.ConvSpec{Units: 8}
		}
		g := graph.PlainCNN(graph.Shape{H: 4, W: 4, C: 1}, 2, blocks)
		pairs := 0
		for i := range b {
			pairs += min(b-1-i, MaxSkipSpan)
		}
		assert.Len(t, Options(g), 2*b+1+2*pairs, "%d blocks", b)
	}
}

// TestOptionsFlat checks that on flat networks no operation needs spatial
// dimensions: nothing inserts a conv or a pool.
func TestOptionsFlat(t *testing.T) {
	for _, name := range []string{"mlp", "mlp-spatial"} {
		g := find(t, name)
		ops := Options(g)
		require.NotEmpty(t, ops)
		for _, op := range ops {
			assert.Zero(t, op.Kernel, "%s: %v", name, op)
			c := g.Clone(false)
			require.NoError(t, Apply(c, op, nil))
			for _, l := range c.Layers[len(g.Layers):] {
				assert.NotContains(t, []graph.Kind{graph.Conv2D, graph.MaxPool}, l.Kind, "%s: %v", name, op)
			}
		}
	}
}

// TestSample checks that Sample is deterministic for a seed, draws only
// offered operations, and reaches all of them.
func TestSample(t *testing.T) {
	g := find(t, "plain")
	ops := Options(g)
	seen := map[Op]int{}
	for k := range 400 {
		a, ok := Sample(g, rand.New(rand.NewPCG(uint64(k), 1)))
		require.True(t, ok)
		b, _ := Sample(g, rand.New(rand.NewPCG(uint64(k), 1)))
		require.Equal(t, a, b)
		require.Contains(t, ops, a)
		seen[a]++
	}
	assert.Len(t, seen, len(ops))

	_, ok := Sample(&graph.Graph{}, rand.New(rand.NewPCG(1, 1)))
	assert.False(t, ok)
}

// TestOpJSON checks the JSON form of an operation and its round trip.
func TestOpJSON(t *testing.T) {
	cases := []struct {
		op   Op
		json string
	}{
		{Op{Kind: Deepen, Node: 3, Kernel: 3}, `{"op":"deepen","node":3,"kernel":3}`},
		{Op{Kind: Widen, Node: 1, Units: 128}, `{"op":"widen","node":1,"units":128}`},
		{Op{Kind: AddSkip, Node: 4, To: 8}, `{"op":"add-skip","node":4,"to":8}`},
		{Op{Kind: ConcatSkip, Node: 0, To: 8}, `{"op":"concat-skip","node":0,"to":8}`},
	}
	for _, c := range cases {
		t.Run(c.op.String(), func(t *testing.T) {
			b, err := json.Marshal(c.op)
			require.NoError(t, err)
			assert.JSONEq(t, c.json, string(b))
			var back Op
			require.NoError(t, json.Unmarshal(b, &back))
			assert.Equal(t, c.op, back)
		})
	}
	assert.Equal(t, `"shrink"(node 1, to 0, units 0, kernel 0)`, fmt.Sprint(Op{Kind: "shrink", Node: 1}))
}

// TestPartialWeights checks that a graph where some layers lack weights is
// treated as bare: the architecture changes, nothing is allocated, and the
// layers whose weights no longer fit lose them, so the graph stays valid.
func TestPartialWeights(t *testing.T) {
	g := withWeights(t, find(t, "add"), 1)
	g.Layers[8].Params = nil // conv 9
	require.False(t, g.HasWeights())
	require.NoError(t, Apply(g, Op{Kind: Widen, Node: 1, Units: 8}, nil))
	require.NoError(t, g.Validate())
	for _, i := range []int{0, 1, 4, 5, 8, 11} { // producers, batch norms, consumers
		assert.Nil(t, g.Layers[i].Params, "layer %d", i)
	}
	assert.NotNil(t, g.Layers[14].Params, "the classifier is outside the area and keeps its weights")
	require.NoError(t, Apply(g, Op{Kind: Deepen, Node: 3}, nil))
	require.NoError(t, g.Validate())
	for _, l := range g.Layers[len(g.Layers)-3:] {
		assert.Nil(t, l.Params, "new %s layer", l.Kind)
	}
}
