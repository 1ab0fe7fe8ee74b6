package searchers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/search"
	"github.com/morphnas/morphnas/core/search/searchtest"
)

// rankRow is one searcher's result on the synthetic objective.
type rankRow struct {
	Name string
	// Best holds the lowest cost each seed's run found.
	Best []float64
	// Short counts the runs that ended before their evaluations, the
	// searcher's space exhausted.
	Short int
	// Seconds is the wall time of all the searcher's runs, proposals and
	// bookkeeping only (the objective costs nothing).
	Seconds float64
	// runs are the histories, one per seed.
	runs []*search.History
}

// Mean and SE return the mean best cost over seeds and its standard error.
func (r rankRow) Mean() float64 {
	s := 0.0
	for _, v := range r.Best {
		s += v
	}
	return s / float64(len(r.Best))
}

func (r rankRow) SE() float64 {
	if len(r.Best) < 2 {
		return math.NaN()
	}
	m, ss := r.Mean(), 0.0
	for _, v := range r.Best {
		ss += (v - m) * (v - m)
	}
	return math.Sqrt(ss / float64(len(r.Best)-1) / float64(len(r.Best)))
}

// rank runs every named searcher for evals evaluations from initial on
// cost, once per seed 1..seeds, and returns the rows sorted by mean best
// cost (ties by name).
func rank(ctx context.Context, names []string, evals, seeds int, initial *graph.Graph, cost func(*graph.Graph) float64) ([]rankRow, error) {
	var rows []rankRow
	for _, name := range names {
		row := rankRow{Name: name}
		start := time.Now()
		for seed := 1; seed <= seeds; seed++ {
			s, err := New(name, search.Config{Seed: uint64(seed), Initial: initial})
			if err != nil {
				return nil, err
			}
			h, err := searchtest.Run(ctx, s, evals, cost)
			switch {
			case errors.Is(err, search.ErrExhausted):
				row.Short++
			case err != nil:
				return nil, fmt.Errorf("%s, seed %d: %w", name, seed, err)
			}
			best := searchtest.BestSoFar(h)
			if len(best) == 0 {
				return nil, fmt.Errorf("%s, seed %d: no observation", name, seed)
			}
			row.Best = append(row.Best, best[len(best)-1])
			row.runs = append(row.runs, h)
		}
		row.Seconds = time.Since(start).Seconds()
		rows = append(rows, row)
	}
	slices.SortStableFunc(rows, func(a, b rankRow) int {
		if c := cmpFloat(a.Mean(), b.Mean()); c != 0 {
			return c
		}
		return cmpString(a.Name, b.Name)
	})
	return rows, nil
}

// printRanking writes the rows as a table.
func printRanking(w io.Writer, rows []rankRow, evals, seeds int) error {
	fmt.Fprintf(w, "mean best cost of %d evaluations over %d seeds, synthetic objective (searchtest.Objective, optimum 0.05, initial 0.43)\n", evals, seeds)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "rank\tsearcher\tmean best\tstd err\tmin\tmax\truns cut short\tseconds\t")
	for i, r := range rows {
		fmt.Fprintf(tw, "%d\t%s\t%.4f\t%.4f\t%.4f\t%.4f\t%d\t%.1f\t\n",
			i+1, r.Name, r.Mean(), r.SE(), slices.Min(r.Best), slices.Max(r.Best), r.Short, r.Seconds)
	}
	return tw.Flush()
}

// BenchmarkRanking runs every registered searcher for 30 evaluations over
// 10 seeds on the synthetic objective (searchtest.Objective with its
// defaults, no training) from the paper's initial architecture on MNIST's
// input, and prints a table of the mean best cost per searcher, so the
// ranking can be seen before any real training. Run it once:
//
//	go test ./searchers -run '^$' -bench Ranking -benchtime 1x
func BenchmarkRanking(b *testing.B) {
	const evals, seeds = 30, 10
	initial := graph.Initial(graph.Shape{H: 28, W: 28, C: 1}, 10)
	for i := 0; i < b.N; i++ {
		rows, err := rank(context.Background(), Names(), evals, seeds, initial, searchtest.Objective{}.Cost)
		if err != nil {
			b.Fatal(err)
		}
		if i == 0 {
			b.StopTimer()
			if err := printRanking(os.Stdout, rows, evals, seeds); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
	}
}

// TestRanking runs the ranking small (5 evaluations, 2 seeds) and checks
// each row against the minimum of its runs' costs recomputed from their
// architectures.
func TestRanking(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every searcher")
	}
	const evals, seeds = 5, 2
	initial := graph.Initial(graph.Shape{H: 8, W: 8, C: 1}, 3)
	cost := searchtest.Objective{}.Cost
	rows, err := rank(context.Background(), Names(), evals, seeds, initial, cost)
	require.NoError(t, err)
	require.Len(t, rows, len(Names()))
	for i, r := range rows {
		if i > 0 {
			assert.LessOrEqual(t, rows[i-1].Mean(), r.Mean(), "rows out of order")
		}
		require.Len(t, r.Best, seeds)
		require.Len(t, r.runs, seeds)
		for k, h := range r.runs {
			assert.Len(t, h.Observations, evals, "%s seed %d", r.Name, k+1)
			low := math.Inf(1)
			for _, o := range h.Observations {
				low = math.Min(low, cost(o.Graph))
			}
			assert.Equal(t, low, r.Best[k], "%s seed %d", r.Name, k+1)
		}
	}
	// The table has a header, a column line and one line per searcher.
	var out stringsBuilder
	require.NoError(t, printRanking(&out, rows, evals, seeds))
	assert.Equal(t, 2+len(rows), out.lines)
}

// stringsBuilder counts the lines written to it.
type stringsBuilder struct{ lines int }

func (b *stringsBuilder) Write(p []byte) (int, error) {
	for _, c := range p {
		if c == '\n' {
			b.lines++
		}
	}
	return len(p), nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
