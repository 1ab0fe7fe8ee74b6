package morph

import (
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/morphnas/morphnas/core/graph"
)

// TestRandomSequences is the property test of the issue: for 50 seeds, 10
// operations drawn in a row with Sample, on a small CNN and on an MLP.
// Every intermediate graph validates and computes what the first one did
// (at every node that kept its size, the output included); on the MLP no
// operation needs spatial dimensions; and the recorded operations, after a
// JSON round trip, replayed on a bare copy of the first graph give the
// identical architecture, with the same hash and parameter count and no
// weights allocated.
func TestRandomSequences(t *testing.T) {
	nets := []struct {
		name  string
		flat  bool
		build func() *graph.Graph
	}{
		{"cnn", false, func() *graph.Graph {
			return graph.PlainCNN(graph.Shape{H: 8, W: 8, C: 3}, 3, []graph.ConvSpec{{Units: 4}, {Units: 6}, {Units: 8}})
		}},
		{"mlp", true, func() *graph.Graph { return graph.MLP(graph.Shape{C: 12}, 3, []int{8, 6}) }},
	}
	const seeds, steps, n = 50, 10, 2
	for _, net := range nets {
		t.Run(net.name, func(t *testing.T) {
			for seed := range uint64(seeds) {
				base := net.build()
				parent := withWeights(t, base.Clone(false), seed)
				x := randomInput(parent, n, seed)
				g := parent.Clone(true)
				rng := rand.New(rand.NewPCG(seed, 99))
				var ops []Op
				for step := range steps {
					if net.flat {
						for _, o := range Options(g) {
							require.Zero(t, o.Kernel, "seed %d step %d: spatial op %v offered on the MLP", seed, step, o)
						}
					}
					op, ok := Sample(g, rng)
					require.True(t, ok, "seed %d step %d: no option", seed, step)
					require.NoError(t, Apply(g, op, nil), "seed %d step %d, after %v", seed, step, ops)
					ops = append(ops, op)
					require.NoError(t, g.Validate(), "seed %d ops %v", seed, ops)
					checkPreserved(t, parent, g, x, n)
					if net.flat {
						for _, l := range g.Layers {
							require.NotEqual(t, graph.Conv2D, l.Kind, "seed %d ops %v", seed, ops)
						}
					}
				}

				// Replay on a bare copy after a JSON round trip.
				data, err := json.Marshal(ops)
				require.NoError(t, err)
				var back []Op
				require.NoError(t, json.Unmarshal(data, &back))
				require.Equal(t, ops, back)
				bare := base.Clone(false)
				require.NoError(t, ApplyAll(bare, back, nil))
				require.True(t, noParams(bare), "seed %d: bare replay allocated weights", seed)
				require.Equal(t, g.Hash(), bare.Hash(), "seed %d ops %v", seed, ops)
				pg, err := g.ParamCount()
				require.NoError(t, err)
				pb, err := bare.ParamCount()
				require.NoError(t, err)
				require.Equal(t, pg, pb)
				jg, err := g.MarshalIndent()
				require.NoError(t, err)
				jb, err := bare.MarshalIndent()
				require.NoError(t, err)
				require.Equal(t, string(jg), string(jb), "seed %d: replay gave a different graph", seed)
			}
		})
	}
}
