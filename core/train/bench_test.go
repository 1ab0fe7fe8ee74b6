package train

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/morphnas/morphnas/core/graph"
)

// mnistLike returns n random 28x28x1 images and labels.
func mnistLike(n int) ([]float32, []int) {
	rng := rand.New(rand.NewPCG(1, 1))
	x, y := make([]float32, n*784), make([]int, n)
	for i := range x {
		x[i] = rng.Float32()
	}
	for i := range y {
		y[i] = rng.IntN(10)
	}
	return x, y
}

// BenchmarkStep times one training step of the paper's initial network at
// batch 64 on the default backend, and reports images per second.
func BenchmarkStep(b *testing.B) {
	g := graph.Initial(graph.Shape{H: 28, W: 28, C: 1}, 10)
	s, err := NewStepper(g, Config{Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	x, y := mnistLike(64)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.Step(x, y); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(64*b.N)/b.Elapsed().Seconds(), "img/s")
}

// BenchmarkInfer times inference of the initial network at batch 64.
func BenchmarkInfer(b *testing.B) {
	g := graph.Initial(graph.Shape{H: 28, W: 28, C: 1}, 10)
	s, err := NewStepper(g, Config{Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	x, _ := mnistLike(64)
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.Infer(x, 64); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(64*b.N)/b.Elapsed().Seconds(), "img/s")
}

// BenchmarkConv reports the GFLOP/s the engine achieves on each conv layer
// of the initial network (forward, then the backward pass to weights and
// input, each counted as 2·M·N·K), next to the SGEMM peak: the backend's
// product of two 1024x1024 matrices, one per worker at the same time, as
// the engine runs them.
func BenchmarkConv(b *testing.B) {
	be := DefaultBackend()
	e, _ := newEngine[float32](withWeightsB(b), 64, 0, true, be.Sgemm)
	x, _ := mnistLike(64)
	copy(e.input(), x)
	e.forward(64, true)
	for i, l := range e.g.Layers {
		if l.Kind != graph.Conv2D {
			continue
		}
		in, out := e.shapes[l.Inputs[0]], e.shapes[i+1]
		flops := 2 * float64(64*out.H*out.W) * float64(9*in.C) * float64(out.C)
		b.Run(fmt.Sprintf("forward/layer=%d/%v->%v", i, in, out), func(b *testing.B) {
			for b.Loop() {
				e.par(64, func(w, c int) { e.fwdChunk(i, w, c, 64, true) })
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run(fmt.Sprintf("backward/layer=%d/%v->%v", i, in, out), func(b *testing.B) {
			mult := 2.0
			if l.Inputs[0] == 0 {
				mult = 1 // no input gradient for the first layer
			}
			ls := &e.layers[i]
			if l.Inputs[0] != 0 {
				ls.dx[0] = e.grad[l.Inputs[0]]
			}
			for b.Loop() {
				e.par(64, func(w, c int) { e.bwdChunk(i, w, c, 64) })
				reduceParts(ls.part, len(ls.w)+len(ls.b), chunks(64), ls.dw, ls.db)
			}
			b.ReportMetric(mult*flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
	b.Run("sgemm-peak/1024", func(b *testing.B) {
		const n = 1024
		w := e.workers
		bufs := make([][3][]float32, w)
		for k := range bufs {
			for j := range 3 {
				bufs[k][j] = make([]float32, n*n)
				for i := range bufs[k][j] {
					bufs[k][j][i] = float32(i%13) * 0.1
				}
			}
		}
		t0 := time.Now()
		for b.Loop() {
			var wg sync.WaitGroup
			for k := range w {
				wg.Go(func() {
					be.Sgemm(false, false, n, n, n, 1, bufs[k][0], n, bufs[k][1], n, 0, bufs[k][2], n)
				})
			}
			wg.Wait()
		}
		b.ReportMetric(float64(w)*2*n*n*n*float64(b.N)/time.Since(t0).Seconds()/1e9, "GFLOP/s")
	})
}

func withWeightsB(b *testing.B) *graph.Graph {
	g := graph.Initial(graph.Shape{H: 28, W: 28, C: 1}, 10)
	if err := g.InitWeights(rand.New(rand.NewPCG(1, 1))); err != nil {
		b.Fatal(err)
	}
	return g
}
