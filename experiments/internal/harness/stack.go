package harness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path/filepath"
	"sync"
	"time"

	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/search"
	"github.com/morphnas/morphnas/core/train"
	"github.com/morphnas/morphnas/datasets"
	"github.com/morphnas/morphnas/searchers"
	"github.com/morphnas/morphnas/searchers/ak"
)

// Default returns the Engine wired to the real search stack: the search
// loop of core/search, the searchers' registry and the trainer of
// core/train.
func Default() Engine { return stack{} }

// stack is the real Engine.
type stack struct{}

// newSearcher builds a searcher by registry name with the given seed and
// initial architecture. Options are the AK searcher's "beta" and "lambda"
// (figure 4a); other searchers take none.
var newSearcher = func(name string, cfg search.Config, opts map[string]float64) (search.Searcher, error) {
	if len(opts) == 0 {
		return searchers.New(name, cfg)
	}
	if name != "ak" {
		return nil, fmt.Errorf("harness: searcher %s takes no options, got %v", name, opts)
	}
	akc := ak.Config{Seed: cfg.Seed, Initial: cfg.Initial}
	for k, v := range opts {
		switch k {
		case "beta":
			akc.Beta = v
		case "lambda":
			akc.Lambda = v
		default:
			return nil, fmt.Errorf("harness: unknown option %q of searcher ak (want beta or lambda)", k)
		}
	}
	return ak.NewWith(akc)
}

// timesFile keeps, in a search directory, the time at which each model's
// result came back, measured from the start of the search over all
// sessions, for figure 4c.
//
// TODO: drop once core/search records this per observation itself.
const timesFile = "elapsed.json"

// Search runs job with search.Run: the profile's time budget, model cap and
// epochs per model, the core/train trainer on the job's training and
// validation parts, and a grace of half the budget for the model training
// at the deadline (so that a search whose first model is slow still has
// one).
func (stack) Search(ctx context.Context, job SearchJob) (*SearchResult, error) {
	d, p := job.Data, job.Profile
	initial := graph.Initial(graph.Shape{H: d.Train.H, W: d.Train.W, C: d.Train.C}, len(d.Train.Classes))
	s, err := newSearcher(job.Searcher, search.Config{Seed: job.Seed, Initial: initial}, job.Options)
	if err != nil {
		return nil, err
	}
	settings, err := json.Marshal(job.Options)
	if err != nil {
		return nil, fmt.Errorf("harness: %w", err)
	}

	// Times of the models back so far, from earlier sessions too.
	var (
		mu    sync.Mutex
		times []float64
		seen  int
	)
	timesPath := filepath.Join(job.Dir, timesFile)
	if err := ReadJSON(timesPath, &times); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	seen = len(times)
	onProgress := func(pr search.Progress) {
		mu.Lock()
		defer mu.Unlock()
		if pr.Models <= seen {
			return
		}
		for len(times) < pr.Models {
			times = append(times, pr.Elapsed.Seconds())
		}
		seen = pr.Models
		_ = WriteJSON(timesPath, times) // best effort: the figure falls back to training times
		if job.OnModel != nil {
			st := Status{Models: pr.Models, Failed: pr.Failed, Best: math.NaN()}
			if pr.Best != nil {
				st.Best = pr.Best.Cost
			}
			job.OnModel(st)
		}
	}

	cfg := train.Config{MaxEpochs: p.MaxEpochs, Patience: p.Patience, BatchSize: p.BatchSize}
	res, err := search.Run(ctx, s, search.Options{
		Dir:     job.Dir,
		Trainer: search.NewTrainer(trainData(d.Train), trainData(d.Val), cfg),
		Budget:  search.Budget{Time: p.Budget.D(), Models: p.MaxModels, Epochs: p.MaxEpochs},
		Grace:   p.Budget.D() / 2,
		Batch:   p.BatchSize,
		Seed:    job.Seed,
		Record: search.Record{Searcher: job.Searcher, Settings: settings, Profile: p.Name,
			Dataset: d.Name},
		Logger:        job.Logger,
		OnProgress:    onProgress,
		ProgressEvery: 30 * time.Second,
	})
	if err != nil && !errors.Is(err, search.ErrBudget) {
		return nil, err
	}

	// Every observation, with its time.
	mu.Lock()
	defer mu.Unlock()
	out := &SearchResult{Seconds: res.Total.Seconds()}
	cum := 0.0
	for i, o := range res.History.Observations {
		cum += o.Seconds
		el := cum
		if i < len(times) {
			el = times[i]
		}
		out.Models = append(out.Models, ModelResult{
			ID: o.ID, Parent: o.Parent, Cost: o.Cost, Elapsed: el, Seconds: o.Seconds, Epochs: o.Epochs,
			Failed: o.Failed, Reason: o.Reason, Graph: o.Graph,
		})
	}
	return out, nil
}

// Final trains job.Graph's architecture from a fresh, seeded
// initialisation on train plus validation for the profile's final epochs
// (patience as long, so that it runs them all), then evaluates it once on
// the test set and returns the error rate.
func (stack) Final(ctx context.Context, job FinalJob) (float64, error) {
	g := job.Graph.Clone(false)
	p := job.Profile
	cfg := train.Config{MaxEpochs: p.FinalEpochs, Patience: p.FinalEpochs, BatchSize: p.BatchSize,
		Seed: job.Seed, Logger: job.Logger}
	res, err := train.Train(ctx, g, trainData(job.Data.Full), nil, cfg)
	if err != nil {
		return 0, err
	}
	if res.Diverged {
		return 0, fmt.Errorf("harness: final training diverged after %d epochs", len(res.Curve))
	}
	_, acc, err := train.Evaluate(res.Graph, trainData(job.Data.Test), cfg)
	if err != nil {
		return 0, err
	}
	return 1 - acc, nil
}

// trainData views a set as the trainer's data, sharing its memory.
func trainData(s *datasets.Set) *train.Data {
	return &train.Data{X: s.X, Y: s.Y, N: s.N, Shape: graph.Shape{H: s.H, W: s.W, C: s.C}}
}
