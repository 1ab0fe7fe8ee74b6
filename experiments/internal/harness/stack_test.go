package harness

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/morphnas/morphnas/core/search"
	"github.com/morphnas/morphnas/datasets"
	"github.com/morphnas/morphnas/searchers"
	"github.com/morphnas/morphnas/searchers/random"
)

func TestSearchersRegistered(t *testing.T) {
	assert.ElementsMatch(t, searchers.Names(), Searchers())
	assert.Equal(t, []string{"random", "grid", "spmt", "smac", "seas", "bfs", "bo", "ak"}, Searchers(),
		"the paper's row order")
	_, err := newSearcher("bfs", search.Config{}, map[string]float64{"beta": 1})
	assert.ErrorContains(t, err, "takes no options")
	_, err = newSearcher("ak", search.Config{}, map[string]float64{"gamma": 1})
	assert.ErrorContains(t, err, `unknown option "gamma"`)
}

// TestSearchersFromRegistry checks that a searcher added to the registry is
// known to the experiments, after the paper's, without a list to edit here.
func TestSearchersFromRegistry(t *testing.T) {
	old := registered
	registered = func() []string { return append(searchers.Names(), "mine", "abc") }
	t.Cleanup(func() { registered = old })
	assert.Equal(t, []string{"random", "grid", "spmt", "smac", "seas", "bfs", "bo", "ak", "abc", "mine"}, Searchers())
	got, err := ParseList("searchers", "mine,ak", Searchers())
	require.NoError(t, err)
	assert.Equal(t, []string{"mine", "ak"}, got)
	assert.Equal(t, []string{"random", "grid", "spmt", "smac", "seas", "nasbot", "bfs", "bo", "ak", "abc", "mine"},
		Rows(Searchers()), "NASBOT stays a row of the paper")

	// A paper searcher missing from the registry is no choice, but its row
	// stays.
	registered = func() []string { return []string{"ak", "bfs"} }
	assert.Equal(t, []string{"bfs", "ak"}, Searchers())
	assert.Len(t, Rows(Searchers()), 9)
}

// tiny returns n 4x4 one-channel images of two classes that a small
// network separates: class 1 is bright in the top half, class 0 in the
// bottom half.
func tiny(n int) *datasets.Set {
	s := &datasets.Set{Name: "tiny", N: n, H: 4, W: 4, C: 1, Classes: []string{"low", "high"}}
	for i := range n {
		y := i % 2
		s.Y = append(s.Y, y)
		for r := range 4 {
			for range 4 {
				v := float32(0.1)
				if (r < 2) == (y == 1) {
					v = 0.9
				}
				s.X = append(s.X, v)
			}
		}
	}
	return s
}

// TestStack runs the real loop and trainer with the random searcher on
// tiny data: two models, their times, the final training and the test.
func TestStack(t *testing.T) {
	old := newSearcher
	newSearcher = func(name string, cfg search.Config, _ map[string]float64) (search.Searcher, error) {
		return random.New(cfg)
	}
	t.Cleanup(func() { newSearcher = old })

	p := Profile{Name: "test", Budget: Duration(time.Minute), MaxModels: 2, MaxEpochs: 2, Patience: 1,
		FinalEpochs: 2, BatchSize: 16}
	d, err := Prepare(tiny(80), tiny(20), p, 1)
	require.NoError(t, err)
	dir := t.TempDir()
	var statuses []Status
	job := SearchJob{Dir: dir, Searcher: "random", Seed: 1, Profile: p, Data: d,
		OnModel: func(s Status) { statuses = append(statuses, s) }}
	res, err := Default().Search(context.Background(), job)
	require.NoError(t, err)
	require.Len(t, res.Models, 2)
	for i, m := range res.Models {
		assert.Equal(t, i+1, m.ID)
		assert.NotNil(t, m.Graph)
		assert.Positive(t, m.Elapsed)
		assert.LessOrEqual(t, m.Elapsed, res.Seconds+1e-9)
		if i > 0 {
			assert.GreaterOrEqual(t, m.Elapsed, res.Models[i-1].Elapsed)
		}
	}
	require.NotEmpty(t, statuses)
	last := statuses[len(statuses)-1]
	assert.Equal(t, 2, last.Models)
	assert.Equal(t, res.Best().Cost, last.Best)

	// Resume with the same budget: nothing more is trained, the times are
	// read back.
	again, err := Default().Search(context.Background(), SearchJob{Dir: dir, Resume: true, Searcher: "random",
		Seed: 1, Profile: p, Data: d})
	require.NoError(t, err)
	require.Len(t, again.Models, 2)
	assert.Equal(t, res.Models[1].Elapsed, again.Models[1].Elapsed)

	e, err := Default().Final(context.Background(), FinalJob{Graph: res.Best().Graph, Data: d, Profile: p, Seed: 1})
	require.NoError(t, err)
	assert.False(t, math.IsNaN(e))
	assert.True(t, e >= 0 && e <= 1, "an error rate: %v", e)
}
