package bayes_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/morphnas/morphnas/core/bayes"
	"github.com/morphnas/morphnas/core/gp"
	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/kernel"
	"github.com/morphnas/morphnas/core/search"
	"github.com/morphnas/morphnas/core/search/searchtest"
)

// benchHistory returns a history of n observations: a random morphing walk
// from the paper's initial network on 28x28x1 images, each model costed by
// the synthetic objective. The walk reaches networks of up to about 15
// conv layers and 10 skips at n = 200.
func benchHistory(b *testing.B, n int) *search.History {
	b.Helper()
	init := graph.Initial(graph.Shape{H: 28, W: 28, C: 1}, 10)
	h, err := searchtest.Run(context.Background(), searchtest.RandomMorph{Seed: 1, Initial: init}, n, searchtest.Objective{}.Cost)
	if err != nil {
		b.Fatal(err)
	}
	return h
}

// BenchmarkFit measures the update step at n observations: the distance
// matrix, the Bourgain embedding, the kernel matrix and the Gaussian
// process fit.
func BenchmarkFit(b *testing.B) {
	for _, n := range []int{50, 100, 200} {
		h := benchHistory(b, n)
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := bayes.Fit(h.Observations, bayes.Config{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFitFixedLength is BenchmarkFit at n = 200 with the length scale
// fixed at 1 (one Gaussian process fit instead of one per value of
// DefaultLengths): the difference is the cost of choosing the scale.
func BenchmarkFitFixedLength(b *testing.B) {
	h := benchHistory(b, 200)
	for b.Loop() {
		if _, err := bayes.Fit(h.Observations, bayes.Config{Length: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkKernelAndGP splits the update step in its parts at n
// observations: kernel.New (distances and embedding) with the kernel
// matrix, and gp.Fit on that matrix.
func BenchmarkKernelAndGP(b *testing.B) {
	for _, n := range []int{50, 100, 200} {
		h := benchHistory(b, n)
		archs := make([]kernel.Arch, n)
		costs := make([]float64, n)
		for i, o := range h.Observations {
			archs[i] = kernel.MustDescribe(o.Graph)
			costs[i] = o.Cost
		}
		b.Run(fmt.Sprintf("kernel/n=%d", n), func(b *testing.B) {
			for b.Loop() {
				k, err := kernel.New(archs, kernel.Config{})
				if err != nil {
					b.Fatal(err)
				}
				k.Matrix()
			}
		})
		k, err := kernel.New(archs, kernel.Config{})
		if err != nil {
			b.Fatal(err)
		}
		m := k.Matrix()
		b.Run(fmt.Sprintf("gp/n=%d", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := gp.Fit(m, costs, gp.Config{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkOptimize measures one proposal's generation (update included)
// at n observations, with the default r and T_low: cold, with a new
// Optimizer each time, and warm, with one whose cache of children is
// filled, as in a search. The metrics report how many candidates were
// evaluated and how many architectures expanded.
func BenchmarkOptimize(b *testing.B) {
	for _, n := range []int{50, 200} {
		h := benchHistory(b, n)
		for _, warm := range []bool{false, true} {
			name := fmt.Sprintf("cold/n=%d", n)
			if warm {
				name = fmt.Sprintf("warm/n=%d", n)
			}
			b.Run(name, func(b *testing.B) {
				o, err := bayes.NewOptimizer(bayes.Config{})
				if err != nil {
					b.Fatal(err)
				}
				var res bayes.Result
				for b.Loop() {
					if !warm {
						o, _ = bayes.NewOptimizer(bayes.Config{})
					}
					res, err = o.Optimize(context.Background(), h, rand.New(rand.NewPCG(1, 2)))
					if err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(res.Evaluated), "candidates")
				b.ReportMetric(float64(res.Expanded), "expanded")
			})
		}
	}
}
