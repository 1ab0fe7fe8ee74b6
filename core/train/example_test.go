package train_test

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/train"
)

// Example trains a small perceptron on two well separated clusters and
// reads the performance estimate of section 3.4.
func Example() {
	rng := rand.New(rand.NewPCG(1, 2))
	data := func(n int) *train.Data {
		d := &train.Data{N: n, Shape: graph.Shape{C: 2}, X: make([]float32, 2*n), Y: make([]int, n)}
		for i := range n {
			c := i % 2
			d.Y[i] = c
			d.X[2*i] = float32(4*c-2) + float32(rng.NormFloat64())*0.5
			d.X[2*i+1] = float32(rng.NormFloat64())
		}
		return d
	}
	g := graph.MLP(graph.Shape{C: 2}, 2, []int{8})
	res, err := train.Train(context.Background(), g, data(256), data(128), train.Config{
		MaxEpochs: 5, Patience: 3, LearningRate: 0.01, Seed: 7,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("epochs:", len(res.Curve), "stop:", res.Stop)
	fmt.Println("metric above 0.95:", res.Metric > 0.95)
	fmt.Println("weights:", res.Graph.HasWeights())
	// Output:
	// epochs: 5 stop: max-epochs
	// metric above 0.95: true
	// weights: true
}
