package morph

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/morphnas/morphnas/core/graph"
)

// benchGraph returns the benchmark architecture: a plain CNN of 8 conv
// blocks of 32 filters on a 32x32x3 input (five of them pooled), with 10
// skips drawn from Options, add and concat alternately. It has about 50
// layers.
func benchGraph(b *testing.B) *graph.Graph {
	blocks := make([]graph.ConvSpec, 8)
	for i := range blocks {
		blocks[i] = graph.ConvSpec{Units: 32}
	}
	g := graph.PlainCNN(graph.Shape{H: 8, W: 8, C: 3}, 10, blocks)
	rng := rand.New(rand.NewPCG(1, 1))
	for k := range 10 {
		want := AddSkip
		if k%2 == 1 {
			want = ConcatSkip
		}
		var skips []Op
		for _, op := range Options(g) {
			if op.Kind == want {
				skips = append(skips, op)
			}
		}
		if err := Apply(g, skips[rng.IntN(len(skips))], nil); err != nil {
			b.Fatal(err)
		}
	}
	return g
}

// BenchmarkOptions lists Omega(f) of the benchmark graph.
func BenchmarkOptions(b *testing.B) {
	g := benchGraph(b)
	b.Run(fmt.Sprintf("layers=%d", len(g.Layers)), func(b *testing.B) {
		n := 0
		for b.Loop() {
			n = len(Options(g))
		}
		b.ReportMetric(float64(n), "ops")
	})
}

// BenchmarkApply applies one operation of each kind to the benchmark graph,
// bare and with weights (a fresh copy each time, not timed).
func BenchmarkApply(b *testing.B) {
	g := benchGraph(b)
	model := g.Clone(false)
	if err := model.InitWeights(rand.New(rand.NewPCG(2, 2))); err != nil {
		b.Fatal(err)
	}
	pick := map[Kind]Op{}
	for _, op := range Options(g) {
		if _, ok := pick[op.Kind]; !ok || op.Kind == Widen {
			pick[op.Kind] = op // the last widen: deep in the graph, behind skips
		}
	}
	for _, kind := range []Kind{Deepen, Widen, AddSkip, ConcatSkip} {
		op := pick[kind]
		for _, src := range []struct {
			name string
			g    *graph.Graph
		}{{"bare", g}, {"weights", model}} {
			b.Run(fmt.Sprintf("%s/%s/layers=%d", kind, src.name, len(g.Layers)), func(b *testing.B) {
				withWeights := src.g.HasWeights()
				for b.Loop() {
					b.StopTimer()
					c := src.g.Clone(withWeights)
					b.StartTimer()
					if err := Apply(c, op, nil); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
