package searchtest

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/morph"
	"github.com/morphnas/morphnas/core/search"
)

var tiny = graph.Shape{H: 8, W: 8, C: 1}

// toy is a searcher that keeps the contract: fresh one-block CNNs of width
// 1 to width (in an order drawn from History.Rand), or, in morph mode, a
// widening of the first conv of the best model by 1 to 8 filters; flaw
// breaks one rule on purpose.
type toy struct {
	seed  uint64
	width int
	morph bool
	flaw  string
	calls *int // shared by every searcher of one flawed run
}

func (s *toy) Propose(ctx context.Context, h *search.History) (search.Proposal, error) {
	rng := h.Rand(s.seed)
	seen := h.Seen
	if s.flaw == "ignores pending" {
		seen = func(hash string) bool {
			return slices.ContainsFunc(h.Observations, func(o search.Observation) bool { return o.Hash == hash })
		}
	}
	if s.flaw == "nondeterministic" {
		*s.calls++
		for range *s.calls % 3 {
			rng.Uint64()
		}
	}
	if s.flaw == "repeats" {
		return search.Proposal{Graph: graph.PlainCNN(tiny, 3, []graph.ConvSpec{{Units: 1}})}, nil
	}
	if s.flaw == "invalid" && len(h.Observations) > 2 {
		return search.Proposal{Graph: graph.New(tiny, 3)}, nil
	}

	if s.morph && len(h.Observations) > 0 {
		parent := h.Best()
		if s.flaw == "failed parent" {
			for i := range h.Observations {
				if o := &h.Observations[i]; o.Cost < parent.Cost {
					parent = o
				}
			}
		}
		if parent == nil {
			if s.flaw == "panics" {
				panic("no best model")
			}
			return search.Proposal{}, search.ErrExhausted
		}
		for _, d := range rng.Perm(8) {
			op := morph.Op{Kind: morph.Widen, Node: 1, Units: parent.Graph.Layers[0].Units + 1 + d}
			g := parent.Graph.Clone(false)
			if err := morph.Apply(g, op, nil); err != nil {
				return search.Proposal{}, err
			}
			if !seen(g.Hash()) {
				return search.Proposal{Parent: parent.ID, Ops: []morph.Op{op}}, nil
			}
		}
		return search.Proposal{}, search.ErrExhausted
	}
	for _, w := range rng.Perm(s.width) {
		g := graph.PlainCNN(tiny, 3, []graph.ConvSpec{{Units: w + 1}})
		if !seen(g.Hash()) {
			return search.Proposal{Graph: g}, nil
		}
	}
	return search.Proposal{}, search.ErrExhausted
}

func TestConformanceFresh(t *testing.T) {
	// 12 widths: the driven run of 40 proposals exhausts them.
	Conformance(t, func(seed uint64) search.Searcher { return &toy{seed: seed, width: 12} },
		graph.PlainCNN(tiny, 3, []graph.ConvSpec{{Units: 1}}))
}

func TestConformanceMorph(t *testing.T) {
	Conformance(t, func(seed uint64) search.Searcher { return &toy{seed: seed, width: 12, morph: true} },
		graph.PlainCNN(tiny, 3, []graph.ConvSpec{{Units: 1}}))
}

// TestConformanceCatches runs the suite on searchers that each break one
// rule, in a child process (a failing suite fails its test), and checks
// that the suite fails and names the fault.
func TestConformanceCatches(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	for _, c := range []struct{ flaw, want string }{
		{"repeats", "already observed or pending"},
		{"nondeterministic", "propose differently"},
		{"failed parent", "is a failed trial"},
		{"ignores pending", "already observed or pending"},
		{"invalid", "graph invalid"},
		{"panics", "Propose panicked on a history of 1 observations (1 failed)"},
	} {
		t.Run(c.flaw, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestFlawed$", "-test.v")
			cmd.Env = append(os.Environ(), "SEARCHTEST_FLAW="+c.flaw)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			require.True(t, errors.As(err, &exit), "suite passed a searcher that %s:\n%s", c.flaw, out)
			assert.Contains(t, string(out), c.want)
		})
	}
}

// TestFlawed runs the suite on the flawed searcher named by SEARCHTEST_FLAW;
// only TestConformanceCatches runs it.
func TestFlawed(t *testing.T) {
	flaw := os.Getenv("SEARCHTEST_FLAW")
	if flaw == "" {
		t.Skip("run by TestConformanceCatches")
	}
	calls := 0
	morphMode := flaw == "failed parent" || flaw == "panics"
	Conformance(t, func(seed uint64) search.Searcher {
		return &toy{seed: seed, width: 12, morph: morphMode, flaw: flaw, calls: &calls}
	}, graph.PlainCNN(tiny, 3, []graph.ConvSpec{{Units: 1}}))
}

func TestPseudoCost(t *testing.T) {
	h := graph.Initial(tiny, 3).Hash()
	c := PseudoCost(h)
	assert.True(t, c >= 0.05 && c < 0.95, "cost %v", c)
	assert.Equal(t, c, PseudoCost(h))
	assert.NotEqual(t, c, PseudoCost(graph.PlainCNN(tiny, 3, []graph.ConvSpec{{Units: 2}}).Hash()))
	assert.Equal(t, 0.5, PseudoCost("not hex"))
}
