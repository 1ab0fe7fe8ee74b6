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
	for _, o := range h.Observations[:4] {
		fmt.Printf("model %d: parent %d, ops %v, cost %.3f\n", o.ID, o.Parent, o.Ops, o.Cost)
	}
	best := h.Best()
	fmt.Printf("best of 10: model %d, cost %.3f\n", best.ID, best.Cost)
	// Output:
	// model 1: parent 0, ops [], cost 0.430
	// model 2: parent 1, ops [deepen(node 3, kernel 3) deepen(node 3, kernel 3) deepen(node 3, kernel 3) deepen(node 3, kernel 3) deepen(node 3, kernel 3)], cost 0.180
	// model 3: parent 2, ops [deepen(node 3, kernel 3)], cost 0.190
	// model 4: parent 2, ops [widen(node 1, units 128) widen(node 28, units 128) widen(node 1, units 256) widen(node 1, units 512)], cost 0.190
	// best of 10: model 9, cost 0.100
}
