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

func newRandom(t *testing.T, seed uint64) *Searcher {
	s, err := New(search.Config{Seed: seed, Initial: graph.Initial(mnist, 10)})
	require.NoError(t, err)
	return s
}

func TestSize(t *testing.T) {
	// 6 + 36 + 216 + 1296 + 7776 + 46656, the sum of 6^d for d = 1..6.
	assert.Equal(t, 55986, newRandom(t, 1).Size())
	// 3^2 + 3^3 for depths 2 and 3 of three widths.
	assert.Equal(t, 36, (&Searcher{minDepth: 2, maxDepth: 3, widths: []int{1, 2, 3}}).Size())
}

func TestDecode(t *testing.T) {
	s := newRandom(t, 1)
	Size, Decode := s.Size, s.Decode
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
	s := newRandom(t, 1)
	seen := map[string]int{}
	for i := range 6 + 36 + 216 {
		h := s.build(s.Decode(i)).Hash()
		j, dup := seen[h]
		require.False(t, dup, "indices %d and %d decode alike", j, i)
		seen[h] = i
	}
}

func TestSamples(t *testing.T) {
	s := newRandom(t, 3)
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

// TestScanFindsLastOne fills the history with every architecture of a
// small space (depths 1 to 5, widths 8, 16 and 32: 363 architectures) but
// the last: a random draw hits that one with probability 1/5 * 1/3^5 =
// 1/1215, so the 64 draws almost surely miss and the scan must find it.
// Once it is seen too, the space is exhausted.
func TestScanFindsLastOne(t *testing.T) {
	s := newRandom(t, 3)
	s.minDepth, s.maxDepth, s.widths = 1, 5, []int{8, 16, 32}
	require.Equal(t, 363, s.Size())
	h := &search.History{}
	last := s.Size() - 1
	for i := range last {
		g := s.build(s.Decode(i))
		h.Observations = append(h.Observations, search.Observation{ID: i + 1, Graph: g, Hash: g.Hash(), Cost: 0.5})
	}
	p, err := s.Propose(context.Background(), h)
	require.NoError(t, err)
	assert.Equal(t, s.build(s.Decode(last)).Hash(), p.Graph.Hash())

	g := p.Graph
	h.Observations = append(h.Observations, search.Observation{ID: last + 1, Graph: g, Hash: g.Hash(), Cost: 0.5})
	_, err = s.Propose(context.Background(), h)
	require.ErrorIs(t, err, search.ErrExhausted)
}
