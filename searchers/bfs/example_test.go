package bfs_test

import (
	"context"
	"fmt"

	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/search"
	"github.com/morphnas/morphnas/core/search/searchtest"
	"github.com/morphnas/morphnas/searchers/bfs"
)

// The root, then children of the root, each one operation away from it.
func Example() {
	initial := graph.PlainCNN(graph.Shape{H: 8, W: 8, C: 1}, 3, []graph.ConvSpec{{Units: 4}})
	s, err := bfs.New(search.Config{Seed: 1, Initial: initial})
	if err != nil {
		fmt.Println(err)
		return
	}
	h, err := searchtest.Run(context.Background(), s, 4, searchtest.Objective{}.Cost)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, o := range h.Observations {
		fmt.Printf("model %d: parent %d, %d operation(s)\n", o.ID, o.Parent, len(o.Ops))
	}
	// Output:
	// model 1: parent 0, 0 operation(s)
	// model 2: parent 1, 1 operation(s)
	// model 3: parent 1, 1 operation(s)
	// model 4: parent 1, 1 operation(s)
}
