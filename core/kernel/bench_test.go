package kernel

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/morphnas/morphnas/core/graph"
)

// deepGraph returns a chain of 30 conv layers of random widths with 10 add
// skips between random block ends, on a 32x32x3 input.
func deepGraph(rng *rand.Rand) *graph.Graph {
	g := graph.New(graph.Shape{H: 32, W: 32, C: 3}, 10)
	ends := []int{0}
	cur := 0
	skipAt := rng.Perm(29)[:10] // blocks 2..30 that end in a skip
	isSkip := map[int]bool{}
	for _, b := range skipAt {
		isSkip[b+2] = true
	}
	for b := 1; b <= 30; b++ {
		w := 16 << rng.IntN(4)
		cur = g.ReLU(g.BatchNorm(g.Conv(cur, w, 3, 1)))
		if isSkip[b] {
			from := ends[rng.IntN(len(ends)-1)]
			cur = g.Sum(cur, g.Conv(from, w, 1, 1))
		}
		ends = append(ends, cur)
	}
	g.Softmax(g.Dense(g.GAP(cur), 10))
	return g
}

// BenchmarkDistance measures d between two graphs of 30 conv layers and 10
// skips each, descriptions included and excluded.
func BenchmarkDistance(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	ga, gb := deepGraph(rng), deepGraph(rng)
	a, c := MustDescribe(ga), MustDescribe(gb)
	if len(a.Widths) != 31 || len(a.Skips) != 10 {
		b.Fatalf("bench graph has %d width layers and %d skips", len(a.Widths), len(a.Skips))
	}
	b.Run("arch", func(b *testing.B) {
		for b.Loop() {
			Distance(a, c, 1)
		}
	})
	b.Run("graph", func(b *testing.B) {
		for b.Loop() {
			Distance(MustDescribe(ga), MustDescribe(gb), 1)
		}
	})
}

// BenchmarkNew measures the distance matrix plus the Bourgain embedding,
// and the kernel matrix, for n random architectures.
func BenchmarkNew(b *testing.B) {
	for _, n := range []int{50, 100, 200} {
		rng := rand.New(rand.NewPCG(3, uint64(n)))
		archs := make([]Arch, n)
		for i := range archs {
			archs[i] = MustDescribe(randomGraph(rng))
		}
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			for b.Loop() {
				k, err := New(archs, Config{Seed: 1})
				if err != nil {
					b.Fatal(err)
				}
				k.Matrix()
			}
		})
	}
}

// BenchmarkRow measures the kernel row of one new candidate against n
// training architectures.
func BenchmarkRow(b *testing.B) {
	for _, n := range []int{50, 200} {
		rng := rand.New(rand.NewPCG(4, uint64(n)))
		archs := make([]Arch, n)
		for i := range archs {
			archs[i] = MustDescribe(randomGraph(rng))
		}
		k, err := New(archs, Config{Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		cand := MustDescribe(randomGraph(rng))
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			for b.Loop() {
				k.Row(cand)
			}
		})
	}
}
