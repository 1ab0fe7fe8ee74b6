package hyper_test

import (
	"fmt"

	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/hyper"
)

// The middle of the normalised space, decoded and built.
func ExampleDecode() {
	x := make([]float64, hyper.Dims)
	for i := range x {
		x[i] = 0.5
	}
	p := hyper.Decode(x)
	fmt.Printf("widths %v kernels %v dropout %v\n", p.Widths, p.Kernels, p.Dropout)
	fmt.Printf("l2 %.0e lr %.2g batch %d momentum %.3f %s\n", p.L2[0], p.LearningRate, p.BatchSize, p.Momentum, p.Optimizer)
	// Three blocks of conv, batch norm, ReLU, max pooling and dropout, then
	// global average pooling, dense and softmax: 18 layers.
	g, s := p.Build(graph.Shape{H: 28, W: 28, C: 1}, 10)
	fmt.Println("layers:", len(g.Layers), "settings:", s.BatchSize, s.Optimizer)
	// Output:
	// widths [64 64 64] kernels [5 5 5] dropout [0.25 0.25 0.25]
	// l2 1e-04 lr 0.0032 batch 64 momentum 0.495 adam
	// layers: 18 settings: 64 adam
}
