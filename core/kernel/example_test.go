package kernel_test

import (
	"fmt"

	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/kernel"
)

func Example() {
	in := graph.Shape{H: 28, W: 28, C: 1}

	// The paper's initial network, one of its conv layers narrowed to 32
	// filters, and one with a fourth conv layer.
	base := graph.Initial(in, 10)
	narrow := graph.PlainCNN(in, 10, []graph.ConvSpec{{Units: 64}, {Units: 32}, {Units: 64}})
	deeper := graph.PlainCNN(in, 10, []graph.ConvSpec{{Units: 64}, {Units: 64}, {Units: 64}, {Units: 64}})

	archs := make([]kernel.Arch, 0, 3)
	for _, g := range []*graph.Graph{base, narrow, deeper} {
		a, err := kernel.Describe(g)
		if err != nil {
			fmt.Println(err)
			return
		}
		archs = append(archs, a)
	}
	fmt.Println("widths of base:", archs[0].Widths)
	fmt.Println("d(base, narrow):", kernel.Distance(archs[0], archs[1], 1))
	fmt.Println("d(base, deeper):", kernel.Distance(archs[0], archs[2], 1))

	// The kernel over the three, positive semidefinite by construction.
	k, err := kernel.New(archs, kernel.Config{Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, row := range k.Matrix() {
		fmt.Printf("%.3f\n", row)
	}
	// Output:
	// widths of base: [64 64 64 10]
	// d(base, narrow): 0.5
	// d(base, deeper): 1
	// [1.000 0.687 0.163]
	// [0.687 1.000 0.269]
	// [0.163 0.269 1.000]
}
