package bo

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/search"
	"github.com/morphnas/morphnas/core/search/searchtest"
)

func TestConformance(t *testing.T) {
	initial := graph.Initial(graph.Shape{H: 28, W: 28, C: 1}, 10)
	searchtest.Conformance(t, func(seed uint64) search.Searcher {
		s, err := New(search.Config{Seed: seed, Initial: initial})
		require.NoError(t, err)
		return s
	}, initial)
}
