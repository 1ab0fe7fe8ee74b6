package spmt_test

import (
	"context"
	"fmt"

	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/search"
	"github.com/morphnas/morphnas/searchers/spmt"
)

// The first proposal, on an empty history, is a random point of the space:
// a fresh three-layer CNN with its training settings.
func ExampleNew() {
	s, err := spmt.New(search.Config{Seed: 1, Initial: graph.Initial(graph.Shape{H: 28, W: 28, C: 1}, 10)})
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := s.Propose(context.Background(), &search.History{})
	if err != nil {
		fmt.Println(err)
		return
	}
	convs := 0
	for _, l := range p.Graph.Layers {
		if l.Kind == graph.Conv2D {
			convs++
		}
	}
	fmt.Println("parent:", p.Parent, "conv layers:", convs, "settings:", p.Settings != nil)
	// Output:
	// parent: 0 conv layers: 3 settings: true
}
