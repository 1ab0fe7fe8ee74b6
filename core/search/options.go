package search

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/morph"
)

// Budget limits a search; any combination of its fields may be set. The
// limits are totals over all sessions of a directory, so a search stopped
// by its budget goes on when Run is called again with a larger one.
type Budget struct {
	// Time is the wall-clock time of the search; zero means no limit. No
	// model starts after it; a model still training gets Options.Grace to
	// finish.
	Time time.Duration `json:"time,omitempty"`
	// Models is the number of models trained, failed ones included;
	// candidates discarded before training (too large, duplicate,
	// unbuildable) do not count. Zero means no limit.
	Models int `json:"models,omitempty"`
	// Epochs is the most epochs one model trains; zero means the trainer's
	// own limit.
	Epochs int `json:"epochs,omitempty"`
}

// Options configure Run. Dir and Trainer are required; in every other field
// the zero value means the default its comment gives.
type Options struct {
	// Dir is the search directory; it is created when missing and resumed
	// when it holds a search.
	Dir string
	// Trainer trains the models.
	Trainer Trainer
	// Budget limits the search; the zero budget runs until the searcher is
	// exhausted or ctx is cancelled.
	Budget Budget
	// Grace is how long past the deadline a model that is training may take
	// to finish; one finishing within it is kept, one that does not is
	// cancelled and recorded as cut short, with its partial curve in the
	// journal. Zero means no grace: cut at the deadline.
	Grace time.Duration
	// Workers is the number of models trained at once. Default 1.
	Workers int
	// Queue is the number of proposals that wait, ready, for a free worker
	// while the searcher prepares the next (section 4.3). Default 1. With
	// one worker and a queue of one, the search is deterministic for a
	// given seed, across resumes too; more of either makes the history a
	// searcher sees depend on timing.
	Queue int
	// MemoryLimit is the memory bound in bytes of section 4.4; candidates
	// whose graph.MemoryBytes estimate exceeds it are discarded. Zero means
	// no bound until an out-of-memory failure sets one. A bound lowered by
	// such a failure is stored in the directory and wins over a larger
	// MemoryLimit on resume.
	MemoryLimit int64
	// Batch is the batch size of the memory estimate for proposals whose
	// settings name none. Default 64, the paper's.
	Batch int
	// Keep, when positive, keeps the weights of only the Keep best models
	// plus the parents of pending proposals; the weights of others are
	// removed after each observation (their graphs and history stay).
	// Zero keeps every model's weights.
	Keep int
	// Crashes is how many times the process may die while training one
	// model (as when the system's out-of-memory killer ends it) before a
	// resume records that model as failed for lack of memory, lowering
	// the bound, instead of training it again. Default 3; negative means
	// never.
	Crashes int
	// Seed seeds the weight initialisation and morph noise of each model,
	// through a source derived from it and the model id.
	Seed uint64
	// Noise adds the morphs' small symmetry-breaking noise to transferred
	// weights. Default off.
	Noise bool
	// Record describes the run in run.json: fill Searcher, Settings,
	// Profile and Dataset; Run fills the rest. On resume, a Searcher,
	// Profile or Dataset that is set, and the Seed, must match the stored
	// record.
	Record Record
	// Logger receives one Info line per trial and a progress line every
	// ProgressEvery; nil discards.
	Logger *slog.Logger
	// OnProgress, when set, is called after every observation and every
	// ProgressEvery, from Run's goroutine.
	OnProgress func(Progress)
	// ProgressEvery is the period of the progress line. Default 1 minute.
	ProgressEvery time.Duration
	// Apply applies morph operations to a graph, transferring weights when
	// it has them. Default morph.ApplyAll.
	Apply func(g *graph.Graph, ops []morph.Op, noise *rand.Rand) error
}

// Stop says why a search stopped.
type Stop string

// The reasons a search stops.
const (
	StopTime      Stop = "time"      // Budget.Time reached
	StopModels    Stop = "models"    // Budget.Models reached
	StopExhausted Stop = "exhausted" // the searcher returned ErrExhausted
	StopCanceled  Stop = "canceled"  // ctx was cancelled
)

// Progress is a snapshot of a running search.
type Progress struct {
	// Models is the number of trials finished, over all sessions, Failed of
	// them failed.
	Models, Failed int
	// Running and Queued are the models training and waiting now.
	Running, Queued int
	// Best is the incumbent, nil while there is none.
	Best *Observation
	// Elapsed is the search's wall time over all sessions.
	Elapsed time.Duration
	// Left is the time budget left; zero without a time budget.
	Left time.Duration
}

// Result is what Run returns.
type Result struct {
	// History holds every observation and the proposals still pending.
	History *History
	// Best is the incumbent, nil when no model succeeded.
	Best *Observation
	// Stop says why the search stopped.
	Stop Stop
	// Trained is the number of models trained in this call.
	Trained int
	// Elapsed is the wall time of this call, Total that of all sessions.
	Elapsed, Total time.Duration
	// Idle is the time in this call during which a trainer had no model to
	// train while the search still had work for it (section 4.3), summed
	// over workers.
	Idle time.Duration
	// Bound is the memory bound in force at the end, zero for none.
	Bound int64
}

// check validates the options and fills defaults.
func (o *Options) check() error {
	switch {
	case o.Dir == "":
		return fmt.Errorf("search: options: empty directory")
	case o.Trainer == nil:
		return fmt.Errorf("search: options: no trainer")
	case o.Budget.Time < 0 || o.Budget.Models < 0 || o.Budget.Epochs < 0:
		return fmt.Errorf("search: options: negative budget %+v", o.Budget)
	case o.Grace < 0:
		return fmt.Errorf("search: options: negative grace %v", o.Grace)
	case o.Workers < 0 || o.Queue < 0 || o.Batch < 0 || o.Keep < 0:
		return fmt.Errorf("search: options: negative workers %d, queue %d, batch %d or keep %d",
			o.Workers, o.Queue, o.Batch, o.Keep)
	case o.MemoryLimit < 0:
		return fmt.Errorf("search: options: negative memory limit %d", o.MemoryLimit)
	}
	if o.Workers == 0 {
		o.Workers = 1
	}
	if o.Queue == 0 {
		o.Queue = 1
	}
	if o.Crashes == 0 {
		o.Crashes = 3
	}
	if o.Batch == 0 {
		o.Batch = 64
	}
	if o.ProgressEvery <= 0 {
		o.ProgressEvery = time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Apply == nil {
		o.Apply = morph.ApplyAll
	}
	return nil
}
