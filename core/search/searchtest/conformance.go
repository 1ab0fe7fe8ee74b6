// Package searchtest holds what the tests of every searcher share: the
// conformance suite that checks a searcher keeps the contract of
// search.Searcher, and a synthetic objective to run searchers without
// training.
package searchtest

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/morph"
	"github.com/morphnas/morphnas/core/search"
)

// conformanceSteps is how many proposals the suite's driven run asks for:
// enough for the model-based searchers to leave their initial random
// design (5 proposals) well behind, and few enough that a searcher which
// refits a model at every proposal passes in seconds. A searcher with a
// small space tests its exhaustion on its own as well.
const conformanceSteps = 20

// conformancePending is how many proposals in a row the suite asks for
// without reporting any result.
const conformancePending = 6

// Conformance checks that searchers made by newSearcher keep the contract of
// search.Searcher, for searches that start from initial (also the
// search.Config.Initial the searchers were made with):
//
//   - every proposal is valid: a fresh graph that validates and has
//     initial's input and classes, or a successful observation's id with
//     operations that morph.ApplyAll replays cleanly on a bare clone of its
//     graph to a graph that validates; settings, if any, are finite and
//     known; the proposal round-trips through JSON;
//   - no proposal repeats an architecture observed or pending (by hash);
//   - the same seed and history give the same proposal (compared as JSON),
//     also from a fresh searcher and after the history went through JSON as
//     on a resume, and Propose leaves the history unchanged;
//   - an empty history gives a proposal, and so does a history whose only
//     entry is that proposal, pending (a loop asks for the next proposal
//     while the first model trains);
//   - failed observations (whose cost is zero, so using it would show) are
//     never proposed again nor used as parents;
//   - an architecture observed twice under two ids is handled;
//   - proposals asked while earlier ones are pending repeat none of them;
//   - the end of the space gives an error wrapping search.ErrExhausted, or
//     a valid proposal, never a panic, and stays so when asked again;
//   - a cancelled context gives an error or a valid proposal, not a panic.
//
// The observations it reports carry a pseudo-random cost derived from the
// architecture's hash, so the checks do not depend on any objective.
func Conformance(t *testing.T, newSearcher func(seed uint64) search.Searcher, initial *graph.Graph) {
	t.Helper()
	if err := initial.Validate(); err != nil {
		t.Fatalf("searchtest: initial architecture invalid: %v", err)
	}
	const seed = 7

	t.Run("empty history", func(t *testing.T) {
		h := &search.History{}
		p, err := propose(t, newSearcher(seed), h)
		if err != nil {
			t.Fatalf("empty history: %v", err)
		}
		if p.Parent != 0 {
			t.Fatalf("empty history: proposal has parent %d, but there is no model yet", p.Parent)
		}
		checkProposal(t, h, p, initial)
	})

	t.Run("cancelled context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		h := &search.History{}
		p, err := proposeCtx(ctx, t, newSearcher(seed), h)
		if err == nil {
			checkProposal(t, h, p, initial)
		}
	})

	t.Run("first one pending", func(t *testing.T) {
		// A loop asks for the next proposal while the first one trains.
		h := &search.History{}
		first, err := propose(t, newSearcher(seed), h)
		if err != nil {
			t.Fatalf("empty history: %v", err)
		}
		g := resolve(t, h, first)
		h.Pending = []search.Pending{{ID: 1, Proposal: first, Graph: g, Hash: g.Hash()}}
		p, err := propose(t, newSearcher(seed), h)
		if err != nil {
			t.Fatalf("with only the first proposal pending: %v; a loop that asks while the first model trains would stop here", err)
		}
		checkProposal(t, h, p, initial)
	})

	// One driven run, shared by the checks below.
	run, exhausted := drive(t, newSearcher(seed), initial, conformanceSteps, nil)

	t.Run("driven run", func(t *testing.T) {
		if len(run.Observations) == 0 {
			t.Fatalf("driven run: no proposal at all")
		}
		if exhausted {
			// Asked again, an exhausted searcher stays exhausted or makes a
			// valid proposal.
			p, err := propose(t, newSearcher(seed), run)
			if err == nil {
				checkProposal(t, run, p, initial)
			} else if !errors.Is(err, search.ErrExhausted) {
				t.Fatalf("asked again after exhaustion: %v, want search.ErrExhausted", err)
			}
		}
	})

	t.Run("deterministic", func(t *testing.T) {
		for _, n := range []int{0, 1, 3, len(run.Observations) / 2, len(run.Observations)} {
			h := prefix(run, n)
			before := historyJSON(t, h)
			a, errA := propose(t, newSearcher(seed), h)
			if got := historyJSON(t, h); !bytes.Equal(got, before) {
				t.Fatalf("history of %d observations changed by Propose", n)
			}
			s := newSearcher(seed)
			b, errB := propose(t, s, h)
			c, errC := propose(t, s, resumed(t, h))
			for _, e := range []error{errA, errB, errC} {
				if e != nil && !errors.Is(e, search.ErrExhausted) {
					t.Fatalf("history of %d observations: %v", n, e)
				}
			}
			if (errA == nil) != (errB == nil) || (errA == nil) != (errC == nil) {
				t.Fatalf("history of %d observations: errors differ for the same seed: %v, %v, %v", n, errA, errB, errC)
			}
			if errA != nil {
				continue
			}
			ja, jb, jc := proposalJSON(t, a), proposalJSON(t, b), proposalJSON(t, c)
			if !bytes.Equal(ja, jb) {
				t.Fatalf("history of %d observations: two searchers of seed %d propose differently:\n%s\n%s", n, seed, ja, jb)
			}
			if !bytes.Equal(jb, jc) {
				t.Fatalf("history of %d observations: proposal changes after the history's JSON round trip:\n%s\n%s", n, jb, jc)
			}
		}
	})

	t.Run("failed trials", func(t *testing.T) {
		failEvery := func(id int) bool { return id%3 == 2 }
		h, _ := drive(t, newSearcher(seed+1), initial, conformanceSteps/2, failEvery)
		p, err := propose(t, newSearcher(seed+1), h)
		if err != nil && !errors.Is(err, search.ErrExhausted) {
			t.Fatalf("history with failed trials: %v", err)
		}
		if err == nil {
			checkProposal(t, h, p, initial)
		}

		// Every trial failed, the first one included.
		all, _ := drive(t, newSearcher(seed+2), initial, 5, func(int) bool { return true })
		p, err = propose(t, newSearcher(seed+2), all)
		if err != nil && !errors.Is(err, search.ErrExhausted) {
			t.Fatalf("history of failed trials only: %v", err)
		}
		if err == nil {
			checkProposal(t, all, p, initial)
		}
	})

	t.Run("duplicate architectures", func(t *testing.T) {
		// Each architecture of the run's first part observed twice, under
		// two ids and with two costs.
		base := prefix(run, min(len(run.Observations), 8))
		h := &search.History{Observations: base.Observations}
		next := len(base.Observations) + 1
		for _, o := range base.Observations {
			d := o
			d.ID, d.Parent, d.Ops = next, 0, nil
			d.Graph = o.Graph.Clone(false)
			d.Cost = math.Min(1, o.Cost+0.05)
			d.Metric = 1 - d.Cost
			h.Observations = append(h.Observations, d)
			next++
		}
		for range 3 {
			p, err := propose(t, newSearcher(seed), h)
			if errors.Is(err, search.ErrExhausted) {
				return
			}
			if err != nil {
				t.Fatalf("history with duplicates: %v", err)
			}
			checkProposal(t, h, p, initial)
			observe(h, p, resolve(t, h, p), next, false)
			next++
		}
	})

	t.Run("pending", func(t *testing.T) {
		h := prefix(run, min(len(run.Observations), 6))
		next := len(h.Observations) + 1
		for range conformancePending {
			p, err := propose(t, newSearcher(seed), h)
			if errors.Is(err, search.ErrExhausted) {
				return
			}
			if err != nil {
				t.Fatalf("with %d pending: %v", len(h.Pending), err)
			}
			checkProposal(t, h, p, initial)
			g := resolve(t, h, p)
			h.Pending = append(h.Pending, search.Pending{ID: next, Proposal: p, Graph: g, Hash: g.Hash()})
			next++
		}
	})
}

// drive runs s for up to steps proposals from an empty history, checking
// each and reporting it as observed at once (failed when fail says so for
// its id). It returns the history and whether s reported exhaustion.
func drive(t *testing.T, s search.Searcher, initial *graph.Graph, steps int, fail func(id int) bool) (*search.History, bool) {
	t.Helper()
	h := &search.History{}
	for id := 1; id <= steps; id++ {
		p, err := propose(t, s, h)
		if errors.Is(err, search.ErrExhausted) {
			return h, true
		}
		if err != nil {
			t.Fatalf("proposal %d: %v", id, err)
		}
		checkProposal(t, h, p, initial)
		observe(h, p, resolve(t, h, p), id, fail != nil && fail(id))
	}
	return h, false
}

// propose calls s.Propose on h and fails the test, naming the history's
// size, if it panics.
func propose(t *testing.T, s search.Searcher, h *search.History) (search.Proposal, error) {
	t.Helper()
	return proposeCtx(context.Background(), t, s, h)
}

// proposeCtx is propose with a context.
func proposeCtx(ctx context.Context, t *testing.T, s search.Searcher, h *search.History) (p search.Proposal, err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("Propose panicked on a history of %d observations (%d failed) and %d pending: %v",
				len(h.Observations), failedCount(h), len(h.Pending), r)
		}
	}()
	return s.Propose(ctx, h)
}

func failedCount(h *search.History) int {
	n := 0
	for _, o := range h.Observations {
		if o.Failed {
			n++
		}
	}
	return n
}

// observe appends p's result to h: a pseudo-random cost, or a failure
// with cost zero.
func observe(h *search.History, p search.Proposal, g *graph.Graph, id int, failed bool) {
	o := search.Observation{
		ID: id, Parent: p.Parent, Ops: p.Ops, Graph: g, Hash: g.Hash(),
		Settings: p.Settings, Epochs: 3, Seconds: 1,
	}
	if failed {
		o.Failed, o.Reason = true, "diverged (scripted by the conformance suite)"
	} else {
		o.Cost = PseudoCost(o.Hash)
		o.Metric = 1 - o.Cost
	}
	h.Observations = append(h.Observations, o)
}

// PseudoCost returns a cost in [0.05, 0.95) derived from an architecture's
// hash: arbitrary but fixed, for tests that need results without an
// objective.
func PseudoCost(hash string) float64 {
	b, err := hex.DecodeString(hash)
	if err != nil || len(b) < 8 {
		return 0.5
	}
	return 0.05 + 0.9*float64(binary.LittleEndian.Uint64(b)>>11)/(1<<53)
}

// checkProposal fails the test unless p is a valid proposal on h that
// repeats no architecture of h.
func checkProposal(t *testing.T, h *search.History, p search.Proposal, initial *graph.Graph) {
	t.Helper()
	g := resolve(t, h, p)
	if err := g.Validate(); err != nil {
		t.Fatalf("proposal %s: graph invalid: %v", proposalJSON(t, p), err)
	}
	if g.Input != initial.Input || g.Classes != initial.Classes {
		t.Fatalf("proposal %s: input %v and %d classes, want %v and %d",
			proposalJSON(t, p), g.Input, g.Classes, initial.Input, initial.Classes)
	}
	if hash := g.Hash(); h.Seen(hash) {
		t.Fatalf("proposal %s: architecture %.12s already observed or pending", proposalJSON(t, p), hash)
	}
	if s := p.Settings; s != nil {
		for name, v := range map[string]float64{"learning rate": s.LearningRate, "momentum": s.Momentum, "weight decay": s.WeightDecay} {
			if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
				t.Fatalf("proposal %s: %s %v, want finite and >= 0", proposalJSON(t, p), name, v)
			}
		}
		if s.BatchSize < 0 {
			t.Fatalf("proposal %s: batch size %d", proposalJSON(t, p), s.BatchSize)
		}
		if s.Optimizer != "" && s.Optimizer != "sgd" && s.Optimizer != "adam" {
			t.Fatalf("proposal %s: optimizer %q, want sgd, adam or empty", proposalJSON(t, p), s.Optimizer)
		}
	}
	data := proposalJSON(t, p)
	var back search.Proposal
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatalf("proposal %s: does not decode from its JSON: %v", data, err)
	}
	if again := proposalJSON(t, back); !bytes.Equal(again, data) {
		t.Fatalf("proposal changes in a JSON round trip:\n%s\n%s", data, again)
	}
}

// resolve returns the bare architecture p leads to on h, failing the test
// when p is not well formed.
func resolve(t *testing.T, h *search.History, p search.Proposal) *graph.Graph {
	t.Helper()
	if p.Parent == 0 {
		if p.Graph == nil {
			t.Fatalf("proposal %s: neither a parent nor a graph", proposalJSON(t, p))
		}
		if len(p.Ops) > 0 {
			t.Fatalf("proposal %s: operations without a parent", proposalJSON(t, p))
		}
		return p.Graph.Clone(false)
	}
	parent := h.Find(p.Parent)
	if parent == nil {
		t.Fatalf("proposal %s: parent %d is not an observed model", proposalJSON(t, p), p.Parent)
	}
	if parent.Failed {
		t.Fatalf("proposal %s: parent %d is a failed trial (%s)", proposalJSON(t, p), p.Parent, parent.Reason)
	}
	if len(p.Ops) == 0 {
		t.Fatalf("proposal %s: a parent without operations", proposalJSON(t, p))
	}
	g, err := applyOps(parent.Graph, p.Ops)
	if err != nil {
		t.Fatalf("proposal %s: operations do not apply to parent %d: %v", proposalJSON(t, p), p.Parent, err)
	}
	if p.Graph != nil && p.Graph.Hash() != g.Hash() {
		t.Fatalf("proposal %s: carries a graph other than its operations give", proposalJSON(t, p))
	}
	return g
}

// applyOps replays ops on a bare clone of parent, turning a panic into an
// error.
func applyOps(parent *graph.Graph, ops []morph.Op) (g *graph.Graph, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	g = parent.Clone(false)
	if err := morph.ApplyAll(g, ops, nil); err != nil {
		return nil, err
	}
	return g, nil
}

// prefix returns a copy of h's first n observations, without pending ones.
func prefix(h *search.History, n int) *search.History {
	return &search.History{Observations: append([]search.Observation(nil), h.Observations[:n]...)}
}

// resumed returns h after a JSON round trip, as a resumed search sees it.
func resumed(t *testing.T, h *search.History) *search.History {
	t.Helper()
	var back search.History
	if err := json.Unmarshal(historyJSON(t, h), &back); err != nil {
		t.Fatalf("history does not decode from its JSON: %v", err)
	}
	return &back
}

func historyJSON(t *testing.T, h *search.History) []byte {
	t.Helper()
	data, err := json.Marshal(h)
	if err != nil {
		t.Fatalf("history does not encode to JSON: %v", err)
	}
	return data
}

func proposalJSON(t *testing.T, p search.Proposal) []byte {
	t.Helper()
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatalf("proposal does not encode to JSON: %v", err)
	}
	return data
}
