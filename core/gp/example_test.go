package gp_test

import (
	"fmt"

	"github.com/morphnas/morphnas/core/gp"
)

func Example() {
	// Three observed architectures, the second observed twice; their kernel
	// (unit diagonal) and validation error rates.
	k := [][]float64{
		{1, 0.5, 0.5, 0.1},
		{0.5, 1, 1, 0.5},
		{0.5, 1, 1, 0.5},
		{0.1, 0.5, 0.5, 1},
	}
	errRate := []float64{0.30, 0.20, 0.20, 0.25}
	m, err := gp.Fit(k, errRate, gp.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}

	// A candidate close to the second architecture, and one unlike any.
	near := []float64{0.45, 0.9, 0.9, 0.45}
	far := []float64{0, 0, 0, 0}
	for _, c := range []struct {
		name  string
		kstar []float64
	}{{"near", near}, {"far", far}} {
		mean, std := m.Predict(c.kstar, 1)
		fmt.Printf("%s: mean %.4f std %.4f ucb %.4f\n", c.name, mean, std, mean-2.5*std)
	}
	fmt.Println("observations:", m.N(), "jitter:", m.Jitter())
	// Output:
	// near: mean 0.2038 std 0.0181 ucb 0.1586
	// far: mean 0.2375 std 0.0415 ucb 0.1339
	// observations: 4 jitter: 0
}
