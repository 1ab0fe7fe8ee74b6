package grid

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/search"
)

var mnist = graph.Shape{H: 28, W: 28, C: 1}

func newGrid(t *testing.T) *Searcher {
	s, err := New(search.Config{Seed: 1, Initial: graph.Initial(mnist, 10)})
	require.NoError(t, err)
	return s
}

// TestOrderAndExhaustion walks the whole grid: every point once, the first
// six covering every depth and every width, then ErrExhausted.
func TestOrderAndExhaustion(t *testing.T) {
	s := newGrid(t)
	h := &search.History{}
	points := map[[2]int]bool{}
	depths, widths := map[int]bool{}, map[int]bool{}
	for i := range 36 {
		p, err := s.Propose(context.Background(), h)
		require.NoError(t, err, "point %d", i)
		require.Zero(t, p.Parent)
		require.NoError(t, p.Graph.Validate())
		depth, width := At(i)
		points[[2]int{depth, width}] = true
		if i < 6 {
			depths[depth], widths[width] = true, true
		}
		var convs []int
		for _, l := range p.Graph.Layers {
			if l.Kind == graph.Conv2D {
				convs = append(convs, l.Units)
				assert.Equal(t, 3, l.Kernel)
			}
		}
		require.Len(t, convs, depth, "point %d", i)
		for _, u := range convs {
			require.Equal(t, width, u, "point %d", i)
		}
		h.Observations = append(h.Observations, search.Observation{ID: i + 1, Graph: p.Graph, Hash: p.Graph.Hash(), Cost: 0.5})
	}
	_, err := s.Propose(context.Background(), h)
	require.ErrorIs(t, err, search.ErrExhausted)
	assert.ErrorContains(t, err, "grid: all 36 points seen")
	assert.Len(t, points, 36, "every depth-width pair once")
	assert.Len(t, depths, 6, "the first round tries every depth")
	assert.Len(t, widths, 6, "the first round tries every width")
	d, w := At(0)
	assert.Equal(t, [2]int{3, 64}, [2]int{d, w}, "the middle of the grid first")
}

func TestSkipsPendingAndFailed(t *testing.T) {
	s := newGrid(t)
	first, second := s.Point(0), s.Point(1)
	h := &search.History{
		Observations: []search.Observation{{ID: 1, Graph: first, Hash: first.Hash(), Failed: true, Reason: "diverged"}},
		Pending:      []search.Pending{{ID: 2, Graph: second, Hash: second.Hash()}},
	}
	p, err := s.Propose(context.Background(), h)
	require.NoError(t, err)
	assert.Equal(t, s.Point(2).Hash(), p.Graph.Hash())
}

func TestNewNeedsInitial(t *testing.T) {
	_, err := New(search.Config{})
	require.ErrorContains(t, err, "grid: config has no initial architecture")
}
