package search

import (
	"context"
	"errors"
	"math/rand/v2"

	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/morph"
)

// ErrExhausted is returned by a searcher that has nothing new to propose:
// every architecture of its space has been observed or is pending.
var ErrExhausted = errors.New("search: search space exhausted")

// Searcher proposes what to train next. It reads the history, which it must
// not change, and returns a proposal; the loop owns training, storage,
// budget, retries and parallelism. A searcher is deterministic for a given
// seed and history: it draws its randomness from History.Rand.
type Searcher interface {
	Propose(ctx context.Context, h *History) (Proposal, error)
}

// Settings are training settings a proposal may carry for the searchers that
// tune them. A zero field means the trainer's default.
type Settings struct {
	LearningRate float64 `json:"learning_rate,omitempty"`
	BatchSize    int     `json:"batch_size,omitempty"`
	Momentum     float64 `json:"momentum,omitempty"`
	WeightDecay  float64 `json:"weight_decay,omitempty"`
	// Optimizer is "sgd" or "adam"; empty means the trainer's default.
	Optimizer string `json:"optimizer,omitempty"`
}

// Proposal is what a searcher hands the loop: either a morph of a stored
// model (Parent is its id, Ops the morphisms to apply in order, and the
// child starts from the parent's weights) or, when Parent is 0, a fresh
// Graph trained from random initialisation.
type Proposal struct {
	Parent   int          `json:"parent,omitempty"`
	Ops      []morph.Op   `json:"ops,omitempty"`
	Graph    *graph.Graph `json:"graph,omitempty"`
	Settings *Settings    `json:"settings,omitempty"`
}

// Observation is the outcome of one trial, as the loop reports it. Model
// ids start at 1.
type Observation struct {
	ID       int          `json:"id"`
	Parent   int          `json:"parent,omitempty"`
	Ops      []morph.Op   `json:"ops,omitempty"`
	Graph    *graph.Graph `json:"graph"` // bare architecture
	Hash     string       `json:"hash"`
	Settings *Settings    `json:"settings,omitempty"`
	// Metric is the validation accuracy, the mean of the last tau epochs
	// (section 3.4); Cost is the error rate 1 - Metric, which searchers
	// minimise.
	Metric float64 `json:"metric"`
	Cost   float64 `json:"cost"`
	// Epochs trained and seconds spent training.
	Epochs  int     `json:"epochs"`
	Seconds float64 `json:"seconds"`
	// Elapsed is the search's wall time, in seconds over all its sessions,
	// when the observation was recorded.
	Elapsed float64 `json:"elapsed,omitempty"`
	// Failed is set when the trial did not produce a model; Reason says why
	// (diverged, out of memory, panic, ...). Cost is then meaningless.
	Failed bool   `json:"failed,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// Pending is a proposal handed out whose result has not come back yet.
type Pending struct {
	ID       int      `json:"id"`
	Proposal Proposal `json:"proposal"`
	// Graph is the architecture the proposal leads to, and Hash its hash.
	Graph *graph.Graph `json:"graph"`
	Hash  string       `json:"hash"`
}

// History is what a searcher sees: every observation so far in order, and
// the proposals still pending.
type History struct {
	Observations []Observation
	Pending      []Pending
}

// Rand returns a random source for the next proposal, derived from seed and
// the number of proposals made so far (observed plus pending). A searcher
// that draws from it is deterministic for a given seed and history, also
// across a resume, where a long-lived generator would have lost its state.
func (h *History) Rand(seed uint64) *rand.Rand {
	n := uint64(len(h.Observations) + len(h.Pending))
	return rand.New(rand.NewPCG(seed, n*0x9e3779b97f4a7c15+1))
}

// Seen reports whether an architecture with this hash was observed or is
// pending.
func (h *History) Seen(hash string) bool {
	for _, o := range h.Observations {
		if o.Hash == hash {
			return true
		}
	}
	for _, p := range h.Pending {
		if p.Hash == hash {
			return true
		}
	}
	return false
}

// Hashes returns the set of the hashes of every observed or pending
// architecture, for searchers that check many candidates. An entry whose
// Hash is empty is hashed from its Graph.
func (h *History) Hashes() map[string]bool {
	seen := make(map[string]bool, len(h.Observations)+len(h.Pending))
	add := func(hash string, g *graph.Graph) {
		if hash == "" && g != nil {
			hash = g.Hash()
		}
		seen[hash] = true
	}
	for _, o := range h.Observations {
		add(o.Hash, o.Graph)
	}
	for _, p := range h.Pending {
		add(p.Hash, p.Graph)
	}
	return seen
}

// Find returns the observation with the given model id, or nil.
func (h *History) Find(id int) *Observation {
	for i := range h.Observations {
		if h.Observations[i].ID == id {
			return &h.Observations[i]
		}
	}
	return nil
}

// Best returns the successful observation of lowest cost, or nil when
// there is none. Ties go to the earlier model.
func (h *History) Best() *Observation {
	var best *Observation
	for i := range h.Observations {
		o := &h.Observations[i]
		if !o.Failed && (best == nil || o.Cost < best.Cost) {
			best = o
		}
	}
	return best
}

// Config is what every searcher's constructor receives from the registry.
type Config struct {
	// Seed drives every random choice, through History.Rand.
	Seed uint64
	// Initial is the starting architecture of the morphism searchers and
	// fixes the input shape and classes for the others.
	Initial *graph.Graph
}
