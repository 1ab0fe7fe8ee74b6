package harness

import (
	"context"
)

// Default returns the Engine wired to the real search stack: the search
// loop of core/search, the searchers' registry and the trainer of
// core/train.
func Default() Engine { return stack{} }

// stack is the real Engine.
type stack struct{}

// Search runs job through core/search's loop.
//
// TODO: wire search.Run with searchers.New(job.Searcher, ...) and a
// core/train trainer once core/search's loop and the searchers' registry
// are committed; until then every search fails with ErrNotWired.
func (stack) Search(ctx context.Context, job SearchJob) (*SearchResult, error) {
	return nil, ErrNotWired
}

// Final retrains and tests job.Graph with core/train.
//
// TODO: wire train.Train on job.Data.Full and train.Evaluate on
// job.Data.Test once core/train's API is committed with the data type the
// loop uses.
func (stack) Final(ctx context.Context, job FinalJob) (float64, error) {
	return 0, ErrNotWired
}
