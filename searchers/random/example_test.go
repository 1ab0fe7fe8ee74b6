package random_test

import (
	"context"
	"fmt"

	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/search"
	"github.com/morphnas/morphnas/searchers/random"
)

// Every proposal is a fresh plain CNN within the ranges.
func Example() {
	s, err := random.New(search.Config{Seed: 1, Initial: graph.Initial(graph.Shape{H: 28, W: 28, C: 1}, 10)})
	if err != nil {
		fmt.Println(err)
		return
	}
	h := &search.History{}
	inRange := true
	for id := 1; id <= 20; id++ {
		p, err := s.Propose(context.Background(), h)
		if err != nil {
			fmt.Println(err)
			return
		}
		convs := 0
		for _, l := range p.Graph.Layers {
			if l.Kind == graph.Conv2D {
				convs++
				inRange = inRange && l.Units >= 16 && l.Units <= 512
			}
		}
		inRange = inRange && p.Parent == 0 && convs >= random.MinDepth && convs <= random.MaxDepth
		h.Observations = append(h.Observations, search.Observation{ID: id, Graph: p.Graph, Hash: p.Graph.Hash()})
	}
	fmt.Println("architectures:", s.Size(), "all in range:", inRange)
	// Output:
	// architectures: 55986 all in range: true
}
