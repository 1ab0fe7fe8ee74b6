package searchers_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/search"
	"github.com/morphnas/morphnas/searchers"
)

// A searcher is made by name; its first proposal on an empty history is a
// fresh graph. Adding a searcher takes a folder with a constructor
// func(search.Config) (*Searcher, error) and one line in the registry map:
//
//	"mine": adapt(mine.New), // what it searches
func ExampleNew() {
	initial := graph.Initial(graph.Shape{H: 28, W: 28, C: 1}, 10)
	s, err := searchers.New("grid", search.Config{Seed: 1, Initial: initial})
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
			fmt.Println("conv of", l.Units, "filters")
		}
	}
	fmt.Println("parent:", p.Parent, "conv layers:", convs)

	_, err = searchers.New("nasbot", search.Config{Initial: initial})
	fmt.Println("nasbot is registered:", !errors.Is(err, searchers.ErrUnknown))
	// Output:
	// conv of 64 filters
	// conv of 64 filters
	// conv of 64 filters
	// parent: 0 conv layers: 3
	// nasbot is registered: false
}
