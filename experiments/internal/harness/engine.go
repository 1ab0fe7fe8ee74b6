package harness

import (
	"context"
	"errors"
	"log/slog"
	"math"

	"github.com/morphnas/morphnas/core/graph"
)

// ErrNotWired is returned by the parts of the default [Engine] whose
// packages have not landed yet.
var ErrNotWired = errors.New("harness: search stack not wired yet")

// Engine is the experiments' seam to the search stack (core/search, the
// searchers, core/train): run one search, and retrain and test one
// architecture. [Default] wires the real packages; tests may pass fakes.
type Engine interface {
	// Search runs (or, with job.Resume, continues) one search in job.Dir
	// within the profile's budgets and returns every model it observed.
	Search(ctx context.Context, job SearchJob) (*SearchResult, error)
	// Final trains job.Graph's architecture from a fresh initialisation on
	// job.Data.Full for the profile's final epochs and returns its error
	// rate on job.Data.Test, evaluated once.
	Final(ctx context.Context, job FinalJob) (testError float64, err error)
}

// SearchJob is one search: one searcher on one data set with one seed.
type SearchJob struct {
	// Dir holds the search's files; it is created if missing.
	Dir string
	// Resume continues the search stored in Dir; without it an existing
	// search in Dir is an error.
	Resume   bool
	Searcher string
	Seed     uint64
	Profile  Profile
	Data     *Data
	// Options are searcher settings by name (the AK searcher's "beta" and
	// "lambda"); nil means the searcher's defaults.
	Options map[string]float64
	Logger  *slog.Logger
	// OnModel, if not nil, is called after each model with the state of
	// the search, for progress lines.
	OnModel func(Status)
}

// Status is the state of a running search.
type Status struct {
	// Models is the number of models back, Failed of them failed.
	Models, Failed int
	// Best is the lowest validation error so far, NaN while there is none.
	Best float64
}

// StatusOf returns the status of a search with these models.
func StatusOf(models []ModelResult) Status {
	st := Status{Models: len(models), Best: math.NaN()}
	for _, m := range models {
		if m.Failed {
			st.Failed++
		} else if math.IsNaN(st.Best) || m.Cost < st.Best {
			st.Best = m.Cost
		}
	}
	return st
}

// ModelResult is one trained model of a search, in the order observed.
type ModelResult struct {
	ID     int `json:"id"`
	Parent int `json:"parent,omitempty"`
	// Cost is the validation error rate (1 - metric of section 3.4).
	Cost float64 `json:"cost"`
	// Elapsed is the seconds from the start of the search to this model's
	// result; Seconds the seconds spent training it.
	Elapsed float64 `json:"elapsed"`
	Seconds float64 `json:"seconds"`
	Epochs  int     `json:"epochs"`
	Failed  bool    `json:"failed,omitempty"`
	Reason  string  `json:"reason,omitempty"`
	// Graph is the bare architecture (no weights).
	Graph *graph.Graph `json:"graph,omitempty"`
}

// SearchResult is what a search found.
type SearchResult struct {
	Models []ModelResult `json:"models"`
	// Seconds is the search's wall time.
	Seconds float64 `json:"seconds"`
}

// Best returns the successful model of lowest validation error, or nil.
// Ties go to the earlier model.
func (r *SearchResult) Best() *ModelResult {
	var best *ModelResult
	for i := range r.Models {
		m := &r.Models[i]
		if !m.Failed && (best == nil || m.Cost < best.Cost) {
			best = m
		}
	}
	return best
}

// FinalJob is the last step of section 5 for one search.
type FinalJob struct {
	Graph   *graph.Graph
	Data    *Data
	Profile Profile
	Seed    uint64
	Logger  *slog.Logger
}
