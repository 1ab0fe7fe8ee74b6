package kernel

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/morph"
)

// TestDescribeMorphs describes the children of the paper's initial network
// (blocks ending at nodes 4, 8 and 12) as the morphisms build them, and
// checks that one operation is one edit: distance 1 for a deepen or a skip,
// 0.5 for doubling a width.
func TestDescribeMorphs(t *testing.T) {
	g := graph.Initial(graph.Shape{H: 28, W: 28, C: 1}, 10)
	base := MustDescribe(g)
	tests := []struct {
		op   morph.Op
		want Arch
		dist float64
	}{
		{morph.Op{Kind: morph.Deepen, Node: 7, Kernel: 3}, Arch{Widths: []int{64, 64, 64, 64, 10}}, 1},
		{morph.Op{Kind: morph.Widen, Node: 5, Units: 128}, Arch{Widths: []int{64, 128, 64, 10}}, 0.5},
		{morph.Op{Kind: morph.AddSkip, Node: 4, To: 12}, Arch{Widths: []int{64, 64, 64, 10}, Skips: []Skip{{U: 1, Delta: 2}}}, 1},
		{morph.Op{Kind: morph.ConcatSkip, Node: 8, To: 12}, Arch{Widths: []int{64, 64, 64, 10}, Skips: []Skip{{U: 2, Delta: 1, Concat: true}}}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.op.String(), func(t *testing.T) {
			c := g.Clone(false)
			require.NoError(t, morph.Apply(c, tc.op, nil))
			got, err := Describe(c)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
			assert.InDelta(t, tc.dist, Distance(base, got, 1), 1e-12)
		})
	}
}
