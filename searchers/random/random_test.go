package random

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/search"
)

var mnist = graph.Shape{H: 28, W: 28, C: 1}

func TestSize(t *testing.T) {
	// 6 + 36 + 216 + 1296 + 7776 + 46656, the sum of 6^d for d = 1..6.
	assert.Equal(t, 55986, Size())
}

func TestDecode(t *testing.T) {
	assert.Equal(t, []int{16}, Decode(0))
	assert.Equal(t, []int{512}, Decode(5))
	assert.Equal(t, []int{16, 16}, Decode(6))
	assert.Equal(t, []int{16, 32}, Decode(7))
	assert.Equal(t, []int{32, 16}, Decode(12))
	assert.Equal(t, []int{512, 512, 512, 512, 512, 512}, Decode(Size()-1))
	assert.Panics(t, func() { Decode(Size()) })
	assert.Panics(t, func() { Decode(-1) })
}

// TestDecodeDistinct checks that the first depths of the space decode to
// distinct architectures.
func TestDecodeDistinct(t *testing.T) {
	s, err := New(search.Config{Initial: graph.Initial(mnist, 10)})
	require.NoError(t, err)
	seen := map[string]int{}
	for i := range 6 + 36 + 216 {
		h := s.build(Decode(i)).Hash()
		j, dup := seen[h]
		require.False(t, dup, "indices %d and %d decode alike", j, i)
		seen[h] = i
	}
}

func TestSamples(t *testing.T) {
	s, err := New(search.Config{Seed: 3, Initial: graph.Initial(mnist, 10)})
	require.NoError(t, err)
	h := &search.History{}
	depths := map[int]int{}
	for id := 1; id <= 60; id++ {
		p, err := s.Propose(context.Background(), h)
		require.NoError(t, err)
		require.NoError(t, p.Graph.Validate())
		d := 0
		for _, l := range p.Graph.Layers {
			if l.Kind == graph.Conv2D {
				d++
				assert.Contains(t, Widths, l.Units)
			}
		}
		require.True(t, d >= MinDepth && d <= MaxDepth, "depth %d", d)
		depths[d]++
		h.Observations = append(h.Observations, search.Observation{ID: id, Graph: p.Graph, Hash: p.Graph.Hash(), Cost: 0.5})
	}
	assert.Len(t, depths, MaxDepth-MinDepth+1, "60 samples should reach every depth: %v", depths)
}

// TestScanFindsLastOne fills the history with every architecture of the
// space but the last: random draws then all hit seen ones, and the scan
// must find the last one. Once it is seen too, the space is exhausted.
func TestScanFindsLastOne(t *testing.T) {
	s, err := New(search.Config{Seed: 3, Initial: graph.Initial(mnist, 10)})
	require.NoError(t, err)
	h := &search.History{}
	last := Size() - 1
	for i := range last {
		g := s.build(Decode(i))
		h.Observations = append(h.Observations, search.Observation{ID: i + 1, Graph: g, Hash: g.Hash(), Cost: 0.5})
	}
	p, err := s.Propose(context.Background(), h)
	require.NoError(t, err)
	assert.Equal(t, s.build(Decode(last)).Hash(), p.Graph.Hash())

	g := p.Graph
	h.Observations = append(h.Observations, search.Observation{ID: last + 1, Graph: g, Hash: g.Hash(), Cost: 0.5})
	_, err = s.Propose(context.Background(), h)
	require.ErrorIs(t, err, search.ErrExhausted)
}
