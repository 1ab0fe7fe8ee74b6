package train_test

import (
	"context"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/morph"
	"github.com/morphnas/morphnas/core/train"
	"github.com/morphnas/morphnas/datasets"
)

func toData(s *datasets.Set) *train.Data {
	return &train.Data{X: s.X, Y: s.Y, N: s.N, Shape: graph.Shape{H: s.H, W: s.W, C: s.C}}
}

// TestMNIST trains the paper's initial network on a 10,000-image subset of
// MNIST's training set and checks the accuracy on the 10,000 test images;
// then morphs the trained model and checks that the child starts at its
// parent's accuracy. It takes minutes on two cores (use the openblas build
// tag), so it runs only with MORPHNAS_MNIST=1:
//
//	MORPHNAS_MNIST=1 go test -tags openblas -run MNIST -v ./core/train
func TestMNIST(t *testing.T) {
	if os.Getenv("MORPHNAS_MNIST") == "" || testing.Short() {
		t.Skip("set MORPHNAS_MNIST=1 to train on real MNIST (minutes)")
	}
	full, test, err := datasets.Load("mnist", datasets.Options{Dir: os.Getenv("MORPHNAS_DATA")})
	require.NoError(t, err)
	tr, rest := full.Split(10000.0/float64(full.N), 1)
	val := rest.Subset(1000, 2)
	require.Equal(t, 10000, tr.N)

	// The validation accuracy of this network jumps by a few points from
	// epoch to epoch at a constant rate (PyTorch's too); annealing the rate
	// to zero over six epochs settles it.
	cfg := train.Config{MaxEpochs: 6, Patience: 6, Schedule: "cosine", LearningRate: 2e-3, Seed: 1,
		OnEpoch: func(ep train.Epoch) { t.Logf("epoch %+v", ep) }}
	g := graph.Initial(graph.Shape{H: 28, W: 28, C: 1}, 10)
	res, err := train.Train(context.Background(), g, toData(tr), toData(val), cfg)
	require.NoError(t, err)
	_, acc, err := train.Evaluate(res.Graph, toData(test), cfg)
	require.NoError(t, err)
	t.Logf("test accuracy %.4f after %d epochs (best %d), metric %.4f", acc, len(res.Curve), res.BestEpoch, res.Metric)
	assert.GreaterOrEqual(t, acc, 0.98)

	// A child several morphs away, without noise, computes its parent's
	// function: same accuracy up to float32 rounding of a few borderline
	// images (0.1%), and a further epoch of training continues from
	// there rather than from scratch.
	child := res.Graph.Clone(true)
	rng := rand.New(rand.NewPCG(3, 3))
	var ops []morph.Op
	for len(ops) < 4 {
		op, ok := morph.Sample(child, rng)
		require.True(t, ok)
		require.NoError(t, morph.Apply(child, op, nil))
		ops = append(ops, op)
	}
	t.Logf("child ops %+v", ops)
	_, childAcc, err := train.Evaluate(child, toData(test), cfg)
	require.NoError(t, err)
	assert.InDelta(t, acc, childAcc, 0.001, "child before training")
	cfg.MaxEpochs, cfg.Schedule, cfg.LearningRate = 1, "constant", 1e-4
	cres, err := train.Train(context.Background(), child, toData(tr), toData(val), cfg)
	require.NoError(t, err)
	_, childAcc, err = train.Evaluate(cres.Graph, toData(test), cfg)
	require.NoError(t, err)
	t.Logf("child test accuracy after one epoch %.4f", childAcc)
	assert.Greater(t, childAcc, acc-0.01, "child after one epoch")
}
