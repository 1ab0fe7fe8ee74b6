package grid_test

import (
	"context"
	"fmt"

	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/search"
	"github.com/morphnas/morphnas/searchers/grid"
)

// The grid in its order, coarse to fine: the first six points try every
// depth and every width once.
func Example() {
	s, err := grid.New(search.Config{Initial: graph.Initial(graph.Shape{H: 28, W: 28, C: 1}, 10)})
	if err != nil {
		fmt.Println(err)
		return
	}
	h := &search.History{}
	for id := 1; id <= 8; id++ {
		p, err := s.Propose(context.Background(), h)
		if err != nil {
			fmt.Println(err)
			return
		}
		var widths []int
		for _, l := range p.Graph.Layers {
			if l.Kind == graph.Conv2D {
				widths = append(widths, l.Units)
			}
		}
		fmt.Println(id, widths)
		h.Observations = append(h.Observations, search.Observation{ID: id, Graph: p.Graph, Hash: p.Graph.Hash()})
	}
	fmt.Println("points:", grid.Size())
	// Output:
	// 1 [64 64 64]
	// 2 [16 16 16 16 16 16]
	// 3 [512]
	// 4 [32 32 32 32]
	// 5 [256 256]
	// 6 [128 128 128 128 128]
	// 7 [16 16 16]
	// 8 [512 512 512 512 512 512]
	// points: 36
}
