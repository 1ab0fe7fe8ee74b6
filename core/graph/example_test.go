package graph_test

import (
	"fmt"

	"github.com/morphnas/morphnas/core/graph"
)

func Example() {
	g := graph.Initial(graph.Shape{H: 28, W: 28, C: 1}, 10)
	if err := g.Validate(); err != nil {
		panic(err)
	}
	shapes, _ := g.Shapes()
	params, _ := g.ParamCount()
	fmt.Println("layers:", len(g.Layers))
	fmt.Println("last conv block:", shapes[12])
	fmt.Println("output:", shapes[g.Output()])
	fmt.Println("parameters:", params)
	// Output:
	// layers: 15
	// last conv block: 3x3x64
	// output: [10]
	// parameters: 75914
}
