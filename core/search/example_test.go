package search_test

import (
	"context"
	"fmt"
	"os"

	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/search"
)

// widthTrainer stands in for core/train: a model's accuracy is 1 - 1/w
// for a first hidden layer of width w, reached in three epochs.
type widthTrainer struct{}

func (widthTrainer) Train(ctx context.Context, job search.Job) (search.Outcome, error) {
	acc := 1 - 1/float64(job.Graph.Layers[0].Units)
	for e := 1; e <= 3; e++ {
		job.OnEpoch(search.Epoch{Epoch: e, ValAccuracy: acc})
	}
	return search.Outcome{Graph: job.Graph, Metric: acc}, nil
}

// widths proposes fresh MLPs with the listed hidden widths, in order.
type widths []int

func (ws widths) Propose(ctx context.Context, h *search.History) (search.Proposal, error) {
	n := len(h.Observations) + len(h.Pending)
	if n >= len(ws) {
		return search.Proposal{}, search.ErrExhausted
	}
	return search.Proposal{Graph: graph.MLP(graph.Shape{C: 4}, 3, []int{ws[n]})}, nil
}

func Example() {
	dir, err := os.MkdirTemp("", "search-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	ctx := context.Background()
	opts := search.Options{
		Dir: dir, Trainer: widthTrainer{}, Seed: 1,
		Budget: search.Budget{Models: 3},
		Record: search.Record{Searcher: "widths", Profile: "smoke"},
	}
	s := widths{4, 16, 8, 2, 32, 64}
	res, err := search.Run(ctx, s, opts)
	if err != nil {
		panic(err)
	}
	fmt.Printf("stopped by %s after %d models; best: model %d, error %.4f\n",
		res.Stop, len(res.History.Observations), res.Best.ID, res.Best.Cost)

	// Resuming with a larger budget trains only the new models.
	opts.Budget.Models = 5
	res, err = search.Run(ctx, s, opts)
	if err != nil {
		panic(err)
	}
	fmt.Printf("resumed: %d more models; best: model %d, error %.4f\n",
		res.Trained, res.Best.ID, res.Best.Cost)

	// The incumbent and its weights can be read from the directory at any
	// time, by any process.
	st, err := search.Open(dir)
	if err != nil {
		panic(err)
	}
	best, err := st.Best()
	if err != nil {
		panic(err)
	}
	g, err := st.Load(best.ID)
	if err != nil {
		panic(err)
	}
	fmt.Printf("stored incumbent: width %d, weights %v\n", g.Layers[0].Units, g.HasWeights())
	// Output:
	// stopped by models after 3 models; best: model 2, error 0.0625
	// resumed: 2 more models; best: model 5, error 0.0312
	// stored incumbent: width 32, weights true
}
