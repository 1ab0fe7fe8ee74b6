package ak_test

import (
	"context"
	"fmt"

	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/search"
	"github.com/morphnas/morphnas/core/search/searchtest"
	"github.com/morphnas/morphnas/searchers/ak"
)

func Example() {
	initial := graph.Initial(graph.Shape{H: 28, W: 28, C: 1}, 10)
	s, err := ak.New(search.Config{Seed: 1, Initial: initial})
	if err != nil {
		fmt.Println(err)
		return
	}

	// Ten evaluations on the synthetic objective instead of training.
	h, err := searchtest.Run(context.Background(), s, 10, searchtest.Objective{}.Cost)
	if err != nil {
		fmt.Println(err)
		return
	}
	// The first three after the initial model are its neighbours, one
	// operation away; Bayesian optimization takes over from the fifth.
	for _, o := range h.Observations[:4] {
		fmt.Printf("model %d: parent %d, ops %v, cost %.3f\n", o.ID, o.Parent, o.Ops, o.Cost)
	}
	best := h.Best()
	fmt.Printf("best of 10: model %d, cost %.3f\n", best.ID, best.Cost)
	// Output:
	// model 1: parent 0, ops [], cost 0.430
	// model 2: parent 1, ops [deepen(node 3, kernel 3)], cost 0.340
	// model 3: parent 1, ops [concat-skip(node 4, to 8)], cost 0.380
	// model 4: parent 1, ops [concat-skip(node 4, to 12)], cost 0.380
	// best of 10: model 10, cost 0.093
}
