// Package fake is an Engine for the experiments' tests: it "trains" plain
// CNNs of growing depth and width instantly, with costs drawn from the
// seed, the searcher and the model number, so that the experiments' files
// can be checked in milliseconds.
package fake

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"

	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/experiments/internal/harness"
)

// Engine implements harness.Engine without training anything.
type Engine struct {
	// Models is the number of models of a search when the profile sets no
	// cap; zero means 4.
	Models int
	// Fail names searchers whose searches fail.
	Fail map[string]bool
	// OnSearch, if set, is called at the start of each search with the
	// number of searches so far, this one included; a test may cancel the
	// context there to stop the experiment.
	OnSearch func(n int)
	// Searches counts the calls of Search, Finals those of Final.
	Searches, Finals int
}

var _ harness.Engine = (*Engine)(nil)

// Search returns the models of a made-up search and writes a marker file
// into job.Dir, as a real search leaves its journal there.
func (e *Engine) Search(ctx context.Context, job harness.SearchJob) (*harness.SearchResult, error) {
	e.Searches++
	if e.OnSearch != nil {
		e.OnSearch(e.Searches)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if e.Fail[job.Searcher] {
		return nil, fmt.Errorf("fake: %s fails by request", job.Searcher)
	}
	if err := os.WriteFile(filepath.Join(job.Dir, "fake-journal"), []byte(job.Searcher), 0o644); err != nil {
		return nil, err
	}
	n := job.Profile.MaxModels
	if n == 0 {
		n = e.Models
	}
	if n == 0 {
		n = 4
	}
	h := fnv.New64a()
	h.Write([]byte(job.Searcher + "/" + job.Data.Name + "/" + strconv.FormatUint(job.Seed, 10)))
	for k, v := range job.Options {
		h.Write([]byte(k + strconv.FormatFloat(v, 'g', -1, 64)))
	}
	r := rand.New(rand.NewPCG(h.Sum64(), 1))
	shape := graph.Shape{H: job.Data.Train.H, W: job.Data.Train.W, C: job.Data.Train.C}
	res := &harness.SearchResult{}
	elapsed := 0.0
	for i := range n {
		var blocks []graph.ConvSpec
		for b := range 1 + i%3 {
			blocks = append(blocks, graph.ConvSpec{Units: 16 * (1 + (i+b)%3)})
		}
		secs := 1 + 4*r.Float64()
		elapsed += secs
		res.Models = append(res.Models, harness.ModelResult{
			ID: i + 1, Cost: 0.05 + 0.4*r.Float64(), Elapsed: elapsed, Seconds: secs, Epochs: 1,
			Graph: graph.PlainCNN(shape, len(job.Data.Train.Classes), blocks),
		})
		if job.OnModel != nil {
			job.OnModel(harness.StatusOf(res.Models))
		}
	}
	res.Seconds = elapsed + 1
	return res, nil
}

// Final returns a test error a little above the validation error the
// graph's depth implies.
func (e *Engine) Final(ctx context.Context, job harness.FinalJob) (float64, error) {
	e.Finals++
	return 0.01 + 0.01*float64(len(job.Graph.Layers)%7), nil
}
