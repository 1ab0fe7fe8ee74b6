package search

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/train"
)

// BenchmarkSearchIdle runs a small real search, core/train on synthetic
// 8x8 images of 10 classes, morphs of the paper's initial network (three
// conv layers of 64 filters), and reports the trainers' idle share of the
// wall time (section 4.3) and the models per minute. One iteration is one
// search of 8 models:
//
//	go test -run '^$' -bench SearchIdle -benchtime 1x ./core/search
func BenchmarkSearchIdle(b *testing.B) {
	shape := graph.Shape{H: 8, W: 8, C: 1}
	data := func(n int, seed uint64) *train.Data {
		rng := rand.New(rand.NewPCG(seed, 3))
		d := &train.Data{X: make([]float32, n*64), Y: make([]int, n), N: n, Shape: shape}
		for i := range d.Y {
			c := i % 10
			d.Y[i] = c
			for j := range 64 {
				// A bright row and column per class, plus noise.
				v := 0.3 * rng.NormFloat64()
				if j/8 == c%8 || j%8 == c/2 {
					v += 1
				}
				d.X[i*64+j] = float32(v)
			}
		}
		return d
	}
	tr, val := data(512, 1), data(128, 2)
	for i := 0; i < b.N; i++ {
		opts := Options{
			Dir: b.TempDir(), Seed: uint64(i),
			Trainer: NewTrainer(tr, val, train.Config{MaxEpochs: 3, Patience: 2}),
			Budget:  Budget{Models: 8},
		}
		res, err := Run(context.Background(), &morphSearcher{seed: 3, initial: graph.Initial(shape, 10)}, opts)
		if err != nil {
			b.Fatal(err)
		}
		for _, o := range res.History.Observations {
			if o.Failed {
				b.Fatalf("model %d: %s", o.ID, o.Reason)
			}
		}
		b.ReportMetric(100*res.Idle.Seconds()/res.Elapsed.Seconds(), "idle%")
		b.ReportMetric(float64(len(res.History.Observations))/res.Elapsed.Minutes(), "models/min")
	}
}
