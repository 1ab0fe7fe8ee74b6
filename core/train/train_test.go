package train

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/morphnas/morphnas/core/graph"
)

// randomGraph builds a valid graph of random layers with add and concat
// skip connections, ending in a dense classifier.
func randomGraph(rng *rand.Rand) *graph.Graph {
	in := graph.Shape{H: 4 + rng.IntN(6), W: 4 + rng.IntN(6), C: 1 + rng.IntN(3)}
	g := graph.New(in, 2+rng.IntN(4))
	shape := func(v int) graph.Shape {
		s, err := g.Shapes()
		if err != nil {
			panic(err)
		}
		return s[v]
	}
	u := 0
	for range 4 + rng.IntN(8) {
		s := shape(u)
		switch rng.IntN(8) {
		case 0, 1:
			stride := 1
			if rng.IntN(4) == 0 {
				stride = 2
			}
			u = g.Conv(u, 1+rng.IntN(5), []int{1, 3, 5}[rng.IntN(3)], stride)
		case 2:
			u = g.BatchNorm(u)
		case 3:
			u = g.ReLU(u)
		case 4:
			if s.H >= 4 && s.W >= 4 {
				u = g.MaxPool(u, 2)
			}
		case 5:
			u = g.Dropout(u, 0.5)
		case 6, 7:
			// A skip from an earlier node of the same spatial size.
			var cands []int
			for v := range u {
				if t := shape(v); t.H == s.H && t.W == s.W {
					cands = append(cands, v)
				}
			}
			if len(cands) == 0 {
				continue
			}
			v := cands[rng.IntN(len(cands))]
			if rng.IntN(2) == 0 {
				u = g.Concat(u, v)
			} else {
				u = g.Sum(u, g.Conv(v, s.C, 1, 1))
			}
		}
	}
	if rng.IntN(2) == 0 {
		u = g.GAP(u)
	} else {
		u = g.Flatten(u)
	}
	if rng.IntN(2) == 0 {
		u = g.ReLU(g.BatchNorm(g.Dense(u, 3+rng.IntN(5))))
	}
	g.Softmax(g.Dense(u, g.Classes))
	return g
}

// TestInferenceMatchesReference runs random graphs, skips included, with
// random weights and batch-norm statistics through Predict (float32,
// inference mode) and through core/graph's float64 reference forward pass:
// the class probabilities agree within 1e-4.
func TestInferenceMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 11))
	for k := range 30 {
		g := withWeights(t, randomGraph(rng), uint64(k))
		n := 1 + rng.IntN(40)
		x := randInput(rng, n*g.Input.Size())
		x32 := make([]float32, len(x))
		for i, v := range x {
			x32[i] = float32(v)
			x[i] = float64(x32[i])
		}
		want, err := g.Forward(x, n)
		require.NoError(t, err)
		got, err := Predict(g, x32, n, Config{BatchSize: 16, Backend: Gonum{}})
		require.NoError(t, err)
		ref := want[g.Output()]
		for i := range got {
			require.InDelta(t, ref[i], float64(got[i]), 1e-4, "graph %d (%d layers), value %d", k, len(g.Layers), i)
		}
	}
}

// blobs is a seeded, learnable toy problem: n flat examples of dim values
// whose class decides the sign pattern of the mean, plus noise.
func blobs(seed uint64, n, dim, classes int, noise float64) *Data {
	rng := rand.New(rand.NewPCG(seed, 99))
	centres := make([][]float64, classes)
	for c := range centres {
		centres[c] = randInput(rand.New(rand.NewPCG(1000+uint64(c), 1)), dim)
	}
	d := &Data{N: n, Shape: graph.Shape{C: dim}, X: make([]float32, n*dim), Y: make([]int, n)}
	for i := range n {
		c := rng.IntN(classes)
		d.Y[i] = c
		for j := range dim {
			d.X[i*dim+j] = float32(centres[c][j] + noise*rng.NormFloat64())
		}
	}
	return d
}

func smallMLP(dim, classes int) *graph.Graph {
	return graph.MLP(graph.Shape{C: dim}, classes, []int{16})
}

func TestTrainSameSeedSameWeights(t *testing.T) {
	tr, val := blobs(1, 200, 8, 3, 1), blobs(2, 50, 8, 3, 1)
	g := graph.New(graph.Shape{C: 8}, 3)
	u := g.Dropout(g.ReLU(g.BatchNorm(g.Dense(0, 16))), 0.2)
	g.Softmax(g.Dense(u, 3))
	weights := func(workers int, seed uint64) []float32 {
		res, err := Train(context.Background(), g, tr, val,
			Config{MaxEpochs: 3, Seed: seed, Workers: workers, Backend: Gonum{}})
		require.NoError(t, err)
		var all []float32
		for _, l := range res.Graph.Layers {
			if p := l.Params; p != nil {
				all = append(all, p.W...)
				all = append(all, p.B...)
				all = append(all, p.Gamma...)
				all = append(all, p.Beta...)
				all = append(all, p.Mean...)
				all = append(all, p.Var...)
			}
		}
		return all
	}
	a := weights(2, 7)
	assert.Equal(t, a, weights(2, 7), "same seed, same workers")
	assert.Equal(t, a, weights(1, 7), "same seed, one worker")
	assert.Equal(t, a, weights(3, 7), "same seed, three workers")
	assert.NotEqual(t, a, weights(2, 8), "another seed")
	assert.Nil(t, g.Layers[0].Params, "the caller's graph stays bare")
}

func TestEarlyStopScripted(t *testing.T) {
	losses := []float64{1.0, 0.8, 0.9, 0.85, 0.95, 0.7}
	accs := []float64{0.5, 0.6, 0.7, 0.8, 0.9, 1.0}
	s := earlyStop{patience: 3, best: math.Inf(1)}
	var curve []Epoch
	var improvedAt []int
	stopAt := 0
	for i, l := range losses {
		ep := Epoch{Epoch: i + 1, ValLoss: l, ValAccuracy: accs[i]}
		curve = append(curve, ep)
		improved, stop := s.observe(ep)
		if improved {
			improvedAt = append(improvedAt, ep.Epoch)
		}
		if stop {
			stopAt = ep.Epoch
			break
		}
	}
	// Best at epoch 2 (0.8); epochs 3, 4, 5 do not improve: stop after 5.
	assert.Equal(t, []int{1, 2}, improvedAt)
	assert.Equal(t, 5, stopAt)
	assert.InDelta(t, (0.7+0.8+0.9)/3, Metric(curve, 3), 1e-12, "mean accuracy of the last tau epochs")
	assert.InDelta(t, (0.5+0.6)/2, Metric(curve[:2], 3), 1e-12, "fewer epochs than tau: all of them")
	assert.True(t, math.IsNaN(Metric(nil, 3)))
}

// TestTrainKeepsBestEpoch trains until early stopping on a problem that
// overfits (few noisy examples, many epochs), then checks the result
// against its own curve: the metric is the mean of the last tau validation
// accuracies, the best epoch has the lowest validation loss, and the
// returned weights reproduce that epoch's validation loss.
func TestTrainKeepsBestEpoch(t *testing.T) {
	tr, val := blobs(3, 60, 10, 3, 2.5), blobs(4, 200, 10, 3, 2.5)
	var seen []Epoch
	res, err := Train(context.Background(), smallMLP(10, 3), tr, val, Config{
		MaxEpochs: 200, Patience: 4, BatchSize: 16, LearningRate: 0.01, Seed: 1, Backend: Gonum{},
		OnEpoch: func(ep Epoch) { seen = append(seen, ep) },
	})
	require.NoError(t, err)
	require.Equal(t, "early", res.Stop, "curve %+v", res.Curve)
	assert.Equal(t, seen, res.Curve)
	k := len(res.Curve)
	var mean float64
	for _, ep := range res.Curve[k-4:] {
		mean += ep.ValAccuracy / 4
	}
	assert.InDelta(t, mean, res.Metric, 1e-12)
	best := 0
	for i, ep := range res.Curve {
		if ep.ValLoss < res.Curve[best].ValLoss {
			best = i
		}
	}
	assert.Equal(t, best+1, res.BestEpoch)
	assert.Equal(t, k, res.BestEpoch+4, "stops tau epochs after the best")
	loss, acc, err := Evaluate(res.Graph, val, Config{BatchSize: 64, Backend: Gonum{}})
	require.NoError(t, err)
	assert.InDelta(t, res.Curve[best].ValLoss, loss, 1e-6)
	assert.InDelta(t, res.Curve[best].ValAccuracy, acc, 1e-12)
}

func TestTrainLearns(t *testing.T) {
	tr, val := blobs(5, 400, 6, 4, 0.5), blobs(6, 200, 6, 4, 0.5)
	for opt, lr := range map[string]float64{"adam": 0.01, "sgd": 0.05} {
		for _, sched := range []string{"constant", "cosine", "step"} {
			res, err := Train(context.Background(), smallMLP(6, 4), tr, val, Config{
				MaxEpochs: 10, Optimizer: opt, LearningRate: lr, Schedule: sched, WeightDecay: 1e-4,
				BatchSize: 32, Backend: Gonum{},
			})
			require.NoError(t, err, "%s %s", opt, sched)
			assert.Greater(t, res.Metric, 0.9, "%s %s: curve %+v", opt, sched, res.Curve)
			assert.Less(t, res.Curve[len(res.Curve)-1].TrainLoss, res.Curve[0].TrainLoss)
		}
	}
}

func TestTrainContinuesFromWeights(t *testing.T) {
	tr, val := blobs(7, 300, 6, 3, 0.7), blobs(8, 200, 6, 3, 0.7)
	cfg := Config{MaxEpochs: 8, Backend: Gonum{}}
	parent, err := Train(context.Background(), smallMLP(6, 3), tr, val, cfg)
	require.NoError(t, err)
	_, acc, err := Evaluate(parent.Graph, val, cfg)
	require.NoError(t, err)
	// One more epoch with a tiny step starts where the parent was.
	cfg.MaxEpochs, cfg.LearningRate = 1, 1e-7
	child, err := Train(context.Background(), parent.Graph, tr, val, cfg)
	require.NoError(t, err)
	assert.InDelta(t, acc, child.Curve[0].ValAccuracy, 0.02)
}

func TestTrainFailures(t *testing.T) {
	tr := blobs(9, 100, 6, 3, 0.5)
	ctx := context.Background()
	t.Run("diverged", func(t *testing.T) {
		res, err := Train(ctx, smallMLP(6, 3), tr, tr, Config{
			MaxEpochs: 5, Optimizer: "sgd", LearningRate: 1e12, Backend: Gonum{}})
		require.ErrorIs(t, err, ErrDiverged)
		require.NotNil(t, res)
		assert.True(t, res.Diverged)
		assert.Equal(t, "diverged", res.Stop)
	})
	t.Run("too-large", func(t *testing.T) {
		g := smallMLP(6, 3)
		need, err := g.MemoryBytes(64)
		require.NoError(t, err)
		_, err = Train(ctx, g, tr, tr, Config{MemoryLimit: need - 1, Backend: Gonum{}})
		require.ErrorIs(t, err, ErrTooLarge)
		_, err = Train(ctx, g, tr, tr, Config{MaxEpochs: 1, MemoryLimit: need, Backend: Gonum{}})
		require.NoError(t, err, "exactly at the limit")
	})
	t.Run("cancelled", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		res, err := Train(cctx, smallMLP(6, 3), tr, tr, Config{MaxEpochs: 100, Backend: Gonum{},
			OnEpoch: func(ep Epoch) {
				if ep.Epoch == 2 {
					cancel()
				}
			}})
		require.NoError(t, err)
		assert.Equal(t, "cancelled", res.Stop)
		assert.Len(t, res.Curve, 2)
		assert.NotNil(t, res.Graph)
		assert.True(t, res.Graph.HasWeights())
	})
	t.Run("bad-data", func(t *testing.T) {
		bad := *tr
		bad.Y = append([]int(nil), tr.Y...)
		bad.Y[3] = 7
		_, err := Train(ctx, smallMLP(6, 3), &bad, tr, Config{Backend: Gonum{}})
		require.ErrorIs(t, err, ErrBadData)
		assert.Contains(t, err.Error(), "example 3")
		_, err = Train(ctx, smallMLP(5, 3), tr, tr, Config{Backend: Gonum{}})
		require.ErrorIs(t, err, ErrBadData)
	})
	t.Run("bad-config", func(t *testing.T) {
		for _, cfg := range []Config{{Optimizer: "rmsprop"}, {Schedule: "linear"}, {BatchSize: -1}, {LearningRate: -1}} {
			_, err := Train(ctx, smallMLP(6, 3), tr, tr, cfg)
			require.Error(t, err, "%+v", cfg)
			assert.False(t, errors.Is(err, ErrDiverged))
		}
	})
}

// TestNoMemoryGrowth trains 1,000 small models one after another and
// checks that the live heap after the last one is no larger than after the
// first hundred, give or take 2 MB: each model's buffers are released
// with it.
func TestNoMemoryGrowth(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 trainings")
	}
	tr := blobs(10, 64, 6, 3, 0.5)
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	var after100 uint64
	for i := range 1000 {
		g := graph.New(graph.Shape{H: 4, W: 4, C: 1}, 3)
		g.Softmax(g.Dense(g.GAP(g.ReLU(g.BatchNorm(g.Conv(0, 4+i%5, 3, 1)))), 3))
		_, err := Train(context.Background(), g, blobsSpatial(tr), nil, Config{MaxEpochs: 1, Seed: uint64(i), Backend: Gonum{}})
		require.NoError(t, err)
		if i == 99 {
			after100 = heap()
		}
	}
	end := heap()
	assert.Less(t, float64(end), float64(after100)+2<<20, "heap after 100 models %d, after 1000 %d", after100, end)
}

// blobsSpatial reshapes 16-value... examples of d to 4x4x1 images (the
// values are repeated or cut to fit).
func blobsSpatial(d *Data) *Data {
	out := &Data{N: d.N, Shape: graph.Shape{H: 4, W: 4, C: 1}, Y: d.Y, X: make([]float32, d.N*16)}
	dim := d.Shape.Size()
	for i := range d.N {
		for j := range 16 {
			out.X[i*16+j] = d.X[i*dim+j%dim]
		}
	}
	return out
}
