package bayes_test

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/morphnas/morphnas/core/bayes"
	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/search/searchtest"
)

func Example() {
	// A history of six models: the paper's initial network and five random
	// morphs of it, costed by the synthetic objective.
	initial := graph.Initial(graph.Shape{H: 28, W: 28, C: 1}, 10)
	h, err := searchtest.Run(context.Background(), searchtest.RandomMorph{Seed: 2, Initial: initial}, 6,
		searchtest.Objective{}.Cost)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("best observed: model %d, cost %.3f\n", h.Best().ID, h.Best().Cost)

	// Algorithm 1: the nearest observed ancestor of the best candidate and
	// the operations from it.
	res, err := bayes.Optimize(context.Background(), h, rand.New(rand.NewPCG(1, 1)), bayes.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("kernel length scale %.3f (chosen by marginal likelihood)\n", res.Length)
	fmt.Printf("morph model %d with %v\n", res.Parent, res.Ops)
	fmt.Printf("predicted cost %.3f +- %.3f, alpha %.3f\n", res.Mean, res.Std, res.Alpha)
	fmt.Printf("true cost %.3f\n", searchtest.Objective{}.Cost(res.Graph))
	// Output:
	// best observed: model 6, cost 0.260
	// kernel length scale 1.000 (chosen by marginal likelihood)
	// morph model 6 with [widen(node 1, units 128) widen(node 1, units 256)]
	// predicted cost 0.308 +- 0.045, alpha 0.196
	// true cost 0.260
}
