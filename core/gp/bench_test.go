package gp

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchKernel returns the RBF kernel of n random points on [0, n/4), about
// four per length scale, with one point in ten duplicated, and targets.
func benchKernel(n int) ([][]float64, []float64, []float64) {
	rng := rand.New(rand.NewPCG(7, uint64(n)))
	xs := make([]float64, n)
	y := make([]float64, n)
	for i := range xs {
		if i > 0 && i%10 == 0 {
			xs[i] = xs[i-1]
		} else {
			xs[i] = float64(n) / 4 * rng.Float64()
		}
		y[i] = rng.Float64()
	}
	return kernelMatrix(xs, 1), y, xs
}

func BenchmarkFit(b *testing.B) {
	for _, n := range []int{50, 100, 200} {
		k, y, _ := benchKernel(n)
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := Fit(k, y, Config{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkPredict(b *testing.B) {
	const n = 200
	k, y, xs := benchKernel(n)
	m, err := Fit(k, y, Config{})
	if err != nil {
		b.Fatal(err)
	}
	ks := crossKernel(12.3, xs, 1)
	b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
		for b.Loop() {
			m.Predict(ks, 1)
		}
	})
}
