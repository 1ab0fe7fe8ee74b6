package kernel

import (
	"math/rand/v2"
	"slices"

	"github.com/morphnas/morphnas/core/graph"
)

// randomGraph builds a valid network of the search space: a chain of 1 to 6
// conv blocks (widths and kernel sizes drawn from small sets, so that
// repeats are common), each block possibly ending in an add skip (through a
// 1x1 conv on the branch) or a concat skip (folded back by a Skip-flagged
// 1x1 conv) from an earlier block, then global pooling, 0 to 2 hidden dense
// layers and the classifier.
func randomGraph(rng *rand.Rand) *graph.Graph {
	widths := []int{8, 16, 32, 64}
	g := graph.New(graph.Shape{H: 8, W: 8, C: 3}, 4)
	ends := []int{0}
	cur := 0
	for range 1 + rng.IntN(6) {
		w := widths[rng.IntN(len(widths))]
		cur = g.ReLU(g.BatchNorm(g.Conv(cur, w, 1+2*rng.IntN(2), 1)))
		switch rng.IntN(4) {
		case 0:
			from := ends[rng.IntN(len(ends))]
			cur = g.Sum(cur, g.Conv(from, w, 1, 1))
		case 1:
			from := ends[rng.IntN(len(ends))]
			cat := g.Concat(cur, from)
			cur = g.Append(graph.Layer{Kind: graph.Conv2D, Inputs: []int{cat}, Units: w, Kernel: 1, Skip: true})
		}
		ends = append(ends, cur)
	}
	u := g.GAP(cur)
	for range rng.IntN(3) {
		u = g.ReLU(g.Dense(u, widths[rng.IntN(len(widths))]))
	}
	g.Softmax(g.Dense(u, 4))
	return g
}

// canonical returns a copy of a with its skips sorted, so that two Archs
// that describe the same architecture compare equal.
func canonical(a Arch) Arch {
	s := slices.Clone(a.Skips)
	slices.SortFunc(s, func(x, y Skip) int {
		if x.U != y.U {
			return x.U - y.U
		}
		if x.Delta != y.Delta {
			return x.Delta - y.Delta
		}
		if x.Concat == y.Concat {
			return 0
		}
		if !x.Concat {
			return -1
		}
		return 1
	})
	return Arch{Widths: a.Widths, Skips: s}
}
