package ak

import (
	"context"
	"fmt"
	"testing"

	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/search"
	"github.com/morphnas/morphnas/core/search/searchtest"
)

// BenchmarkPropose measures one proposal after n observations: a random
// morphing walk from the paper's initial network on 28x28x1 images, costed
// by the synthetic objective. The searcher is new at each proposal (its
// cache empty), the worst case; the metric reports the candidates
// evaluated in the last proposal.
func BenchmarkPropose(b *testing.B) {
	initial := graph.Initial(graph.Shape{H: 28, W: 28, C: 1}, 10)
	for _, n := range []int{50, 200} {
		h, err := searchtest.Run(context.Background(), searchtest.RandomMorph{Seed: 1, Initial: initial}, n,
			searchtest.Objective{}.Cost)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			for b.Loop() {
				s, err := New(search.Config{Seed: 1, Initial: initial})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := s.Propose(context.Background(), h); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
