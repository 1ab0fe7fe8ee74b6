package searchers

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/search"
	"github.com/morphnas/morphnas/core/search/searchtest"
)

var mnist = graph.Shape{H: 28, W: 28, C: 1}

func TestNames(t *testing.T) {
	names := Names()
	assert.IsIncreasing(t, names)
	for _, want := range []string{"ak", "bfs", "bo", "grid", "random", "seas", "smac", "spmt"} {
		assert.Contains(t, names, want)
	}
}

func TestNewEach(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			s, err := New(name, search.Config{Seed: 1, Initial: graph.Initial(mnist, 10)})
			require.NoError(t, err)
			p, err := s.Propose(context.Background(), &search.History{})
			require.NoError(t, err)
			require.NotNil(t, p.Graph, "first proposal of %s is not a fresh graph", name)
			require.NoError(t, p.Graph.Validate())
		})
	}
}

func TestNewErrors(t *testing.T) {
	_, err := New("nasbot", search.Config{Initial: graph.Initial(mnist, 10)})
	require.ErrorIs(t, err, ErrUnknown)
	assert.ErrorContains(t, err, `"nasbot", want one of ak, bfs,`)

	for _, name := range Names() {
		s, err := New(name, search.Config{})
		require.Error(t, err, name)
		assert.Nil(t, s, "%s: a failed constructor must give a nil interface", name)
		assert.ErrorContains(t, err, "searchers: "+name+": ")
	}
}

// objectiveTrainer is a search.Trainer that trains nothing: a model's
// metric is one minus the synthetic objective's cost of its architecture.
// It records the settings each job carried.
type objectiveTrainer struct {
	mu       sync.Mutex
	settings []*search.Settings
}

func (tr *objectiveTrainer) Train(ctx context.Context, job search.Job) (search.Outcome, error) {
	tr.mu.Lock()
	tr.settings = append(tr.settings, job.Settings)
	tr.mu.Unlock()
	m := 1 - searchtest.Objective{}.Cost(job.Graph)
	job.OnEpoch(search.Epoch{Epoch: 1, TrainLoss: 1, ValLoss: 1, ValAccuracy: m})
	return search.Outcome{Graph: job.Graph, Metric: m}, nil
}

// TestLoop runs every registered searcher in the search loop, with two
// workers and a queue of two so that proposals are asked while others are
// pending: each must fill its budget of models with no proposal discarded
// as a duplicate or unbuildable, and spmt and smac must hand their
// settings to the trainer.
func TestLoop(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the search loop for every searcher")
	}
	const models = 8
	initial := graph.PlainCNN(graph.Shape{H: 8, W: 8, C: 1}, 3, []graph.ConvSpec{{Units: 4}, {Units: 4}})
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			s, err := New(name, search.Config{Seed: 1, Initial: initial})
			require.NoError(t, err)
			tr := &objectiveTrainer{}
			res, err := search.Run(context.Background(), s, search.Options{
				Dir: t.TempDir(), Trainer: tr, Budget: search.Budget{Models: models},
				Workers: 2, Queue: 2, Seed: 1, Record: search.Record{Searcher: name},
			})
			require.NoError(t, err)
			assert.Equal(t, search.StopModels, res.Stop)
			ok := 0
			for _, o := range res.History.Observations {
				assert.False(t, o.Failed, "model %d: %s", o.ID, o.Reason)
				if !o.Failed {
					ok++
				}
			}
			assert.Equal(t, models, ok)
			if name == "spmt" || name == "smac" {
				for i, set := range tr.settings {
					require.NotNil(t, set, "job %d", i)
					assert.Positive(t, set.LearningRate)
					assert.Positive(t, set.BatchSize)
				}
			}
		})
	}
}
