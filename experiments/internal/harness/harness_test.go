package harness_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/morphnas/morphnas/core/search"
	"github.com/morphnas/morphnas/datasets"
	"github.com/morphnas/morphnas/experiments/internal/fake"
	"github.com/morphnas/morphnas/experiments/internal/harness"
)

func TestProfiles(t *testing.T) {
	assert.Equal(t, []string{"smoke", "quick", "cpu", "paper"}, harness.ProfileNames())
	for _, name := range harness.ProfileNames() {
		p, err := harness.LookupProfile(name)
		require.NoError(t, err)
		assert.Equal(t, 64, p.BatchSize, name)
		assert.Positive(t, p.Budget.D(), name)
		assert.Positive(t, p.MaxEpochs, name)
		assert.Positive(t, p.FinalEpochs, name)
		assert.Positive(t, p.Seeds, name)
		assert.NotEmpty(t, p.Note, name)

		// The profile round-trips through JSON, the budget as text.
		data, err := json.Marshal(p)
		require.NoError(t, err)
		var back harness.Profile
		require.NoError(t, json.Unmarshal(data, &back))
		assert.Equal(t, p, back)
	}
	paper, _ := harness.LookupProfile("paper")
	assert.Equal(t, 12*time.Hour, paper.Budget.D(), "section 5: 12 hours per method and data set")
	assert.Equal(t, 200, paper.FinalEpochs)
	assert.Zero(t, paper.TrainSize, "all the data")

	// quick: 8 searchers x 2 data sets x its seeds must fit well under an
	// hour of search.
	quick, _ := harness.LookupProfile("quick")
	assert.Less(t, time.Duration(8*2*quick.Seeds)*quick.Budget.D(), 40*time.Minute)

	// The notes are the profile's, for every experiment: none speaks of
	// one experiment or of a GPU this code does not use.
	for _, name := range harness.ProfileNames() {
		p, _ := harness.LookupProfile(name)
		assert.NotContains(t, p.Note, "Table 1", name)
		assert.NotContains(t, p.Note, "meant for a GPU", name)
	}
	assert.Equal(t, "16 searches of up to 1m30s each, up to 24m0s of search in all, "+
		"plus the final training of each search's best model", quick.Plan(16, true))
	assert.Equal(t, "1 search of up to 1m30s each, up to 1m30s of search in all", quick.Plan(1, false))

	_, err := harness.LookupProfile("huge")
	assert.ErrorContains(t, err, `unknown profile "huge"`)
}

func TestParseList(t *testing.T) {
	got, err := harness.ParseList("searchers", " AK,bo,,ak ", harness.Searchers())
	require.NoError(t, err)
	assert.Equal(t, []string{"ak", "bo"}, got)
	_, err = harness.ParseList("searchers", "ak,nope", harness.Searchers())
	assert.ErrorContains(t, err, `-searchers: unknown "nope"`)
	_, err = harness.ParseList("datasets", "", []string{"mnist"})
	assert.ErrorContains(t, err, "-datasets: empty list")
}

func TestTable(t *testing.T) {
	tab := harness.Table{
		Title:   "T",
		Columns: []string{"MNIST", "CIFAR10"},
		Rows: []harness.Row{
			{Method: "AK", Cells: []harness.Cell{
				{Errors: []float64{0.01, 0.02, 0.03}, Paper: "0.55%"},
				{Status: harness.StatusMissing, Missing: "not found | anywhere", Paper: "11.44%"},
			}},
			{Method: "BO", Cells: []harness.Cell{{Errors: []float64{0.05}}, {}}},
		},
		Notes: []string{"a note"},
	}
	require.NoError(t, tab.Fill())
	// {1,2,3}%: mean 2%, sd 1%, t(2 dof, 0.975) = 4.3027 from tables.
	ak := tab.Rows[0].Cells[0]
	assert.InDelta(t, 0.02, ak.Mean, 1e-12)
	assert.InDelta(t, 0.01*4.3027/math.Sqrt(3), ak.CI95, 1e-6)
	assert.Equal(t, "2.00% ± 2.48 (paper 0.55%)", ak.Text())
	assert.Equal(t, "5.00%", tab.Rows[1].Cells[0].Text(), "one seed: no interval")
	assert.Equal(t, "not run", tab.Rows[1].Cells[1].Text())

	var md bytes.Buffer
	require.NoError(t, tab.Markdown(&md))
	assert.Equal(t, "### T\n\n| Methods | MNIST | CIFAR10 |\n|---|---|---|\n"+
		"| AK | 2.00% ± 2.48 (paper 0.55%) | missing data (paper 11.44%) |\n"+
		"| BO | 5.00% | not run |\n\n- a note\n", md.String())

	var c bytes.Buffer
	require.NoError(t, tab.CSV(&c))
	recs, err := csv.NewReader(&c).ReadAll()
	require.NoError(t, err)
	assert.Equal(t, harness.CSVHeader, recs[0])
	assert.Equal(t, []string{"AK", "MNIST", "2.0000", "2.4841", "3", "1.0000 2.0000 3.0000", "0.55%", "", ""}, recs[1])
	assert.Equal(t, []string{"AK", "CIFAR10", "", "", "0", "", "11.44%", "missing data", "not found | anywhere"}, recs[2])
	assert.Equal(t, []string{"BO", "MNIST", "5.0000", "", "1", "5.0000", "", "", ""}, recs[3],
		"one seed: no interval, not an interval of zero")

	var term bytes.Buffer
	require.NoError(t, tab.Terminal(&term))
	assert.Contains(t, term.String(), "CIFAR10", "headers as given, not reformatted")
	assert.Contains(t, term.String(), "2.00% ± 2.48 (paper 0.55%)")

	bad := harness.Table{Columns: []string{"X"}, Rows: []harness.Row{{Method: "A", Cells: []harness.Cell{{Errors: []float64{math.NaN()}}}}}}
	assert.ErrorContains(t, bad.Fill(), "table A, X")
}

// synthetic returns a set of n 2x2 images with 2 channels, two classes,
// channel 0 holding the label and channel 1 the index.
func synthetic(n int) *datasets.Set {
	s := &datasets.Set{Name: "syn", N: n, H: 2, W: 2, C: 2, Classes: []string{"a", "b"}}
	for i := range n {
		s.Y = append(s.Y, i%2)
		for range 4 {
			s.X = append(s.X, float32(i%2), float32(i))
		}
	}
	return s
}

func TestPrepare(t *testing.T) {
	train, test := synthetic(100), synthetic(30)
	p := harness.Profile{TrainSize: 50, TestSize: 20}
	d, err := harness.Prepare(train, test, p, 7)
	require.NoError(t, err)
	assert.Equal(t, 40, d.Train.N, "80% of the 50-image subset")
	assert.Equal(t, 10, d.Val.N)
	assert.Equal(t, 50, d.Full.N)
	assert.Equal(t, 20, d.Test.N)
	assert.Equal(t, []int{20, 20}, d.Train.Counts(), "stratified")

	// The normalisation is fitted on the training part: there every
	// channel has mean 0 (up to float32 rounding).
	for ch := range 2 {
		sum := 0.0
		for i := ch; i < len(d.Train.X); i += 2 {
			sum += float64(d.Train.X[i])
		}
		assert.InDelta(t, 0, sum/float64(len(d.Train.X)/2), 1e-5, "channel %d", ch)
	}
	assert.Equal(t, float32(0), train.X[0], "inputs unchanged")
	assert.Equal(t, float32(99), train.X[len(train.X)-1])

	_, err = harness.Prepare(synthetic(0), test, p, 1)
	assert.Error(t, err)
}

func TestRunCell(t *testing.T) {
	d, err := harness.Prepare(synthetic(40), synthetic(10), harness.Profile{}, 1)
	require.NoError(t, err)
	dir := filepath.Join(t.TempDir(), "ak", "seed-1")
	eng := &fake.Engine{Models: 3}
	var seen []int
	var log bytes.Buffer
	tr := harness.NewTracker(newLogger(&log), 1, time.Minute)
	job := harness.CellJob{
		SearchJob: harness.SearchJob{Dir: dir, Searcher: "ak", Seed: 1, Data: d,
			Profile: harness.Profile{Name: "smoke"}},
		Final: true, Tracker: tr,
	}
	job.OnModel = func(st harness.Status) { seen = append(seen, st.Models) }
	out, err := harness.RunCell(context.Background(), eng, job)
	require.NoError(t, err)
	assert.Equal(t, []int{1, 2, 3}, seen)
	require.Len(t, out.Search.Models, 3)
	best := out.Search.Best()
	for _, m := range out.Search.Models {
		assert.GreaterOrEqual(t, m.Cost, best.Cost)
	}
	assert.Equal(t, best.ID, out.BestID)
	assert.True(t, out.Tested)
	assert.Contains(t, log.String(), "search started")

	// The outcome on disk is the one returned, graphs included.
	var back harness.Outcome
	require.NoError(t, harness.ReadJSON(filepath.Join(dir, harness.ResultFile), &back))
	assert.Equal(t, out.TestError, back.TestError)
	require.NotNil(t, back.Search.Models[0].Graph)
	assert.Equal(t, out.Search.Models[0].Graph.Hash(), back.Search.Models[0].Graph.Hash())

	// Again without resume: refused; with resume: read back, not rerun.
	_, err = harness.RunCell(context.Background(), eng, job)
	assert.ErrorContains(t, err, "-resume")
	job.Resume = true
	again, err := harness.RunCell(context.Background(), eng, job)
	require.NoError(t, err)
	assert.Equal(t, 1, eng.Searches)
	assert.Equal(t, out.TestError, again.TestError)
	assert.Contains(t, log.String(), "final training started", "no silence while the final training runs")
	assert.Contains(t, log.String(), fmt.Sprintf("model_id=%d", best.ID))
}

// TestRunCellOtherRun resumes a finished search with other settings: it is
// refused, with the directory, both profiles and what to do, and nothing
// runs.
func TestRunCellOtherRun(t *testing.T) {
	d, err := harness.Prepare(synthetic(40), synthetic(10), harness.Profile{}, 1)
	require.NoError(t, err)
	smoke, err := harness.LookupProfile("smoke")
	require.NoError(t, err)
	quick, err := harness.LookupProfile("quick")
	require.NoError(t, err)
	dir := filepath.Join(t.TempDir(), "ak", "seed-1")
	eng := &fake.Engine{}
	job := harness.CellJob{
		SearchJob: harness.SearchJob{Dir: dir, Searcher: "ak", Seed: 1, Data: d, Profile: smoke,
			Options: map[string]float64{"beta": 1}},
		Final: true,
	}
	_, err = harness.RunCell(context.Background(), eng, job)
	require.NoError(t, err)

	other := func(change func(*harness.CellJob)) error {
		j := job
		j.Resume = true
		change(&j)
		_, err := harness.RunCell(context.Background(), eng, j)
		return err
	}
	err = other(func(j *harness.CellJob) { j.Profile = quick })
	require.ErrorIs(t, err, harness.ErrOtherRun)
	for _, want := range []string{dir, "profile smoke", "profile quick", "-profile smoke", "another -out"} {
		assert.Contains(t, err.Error(), want)
	}

	// The same name with other settings (the code's profile changed).
	err = other(func(j *harness.CellJob) { j.Profile.MaxEpochs++ })
	require.ErrorIs(t, err, harness.ErrOtherRun)
	assert.Contains(t, err.Error(), "at most 2 epochs per model")

	// Other options, seed or searcher.
	err = other(func(j *harness.CellJob) { j.Options = map[string]float64{"beta": 2} })
	require.ErrorIs(t, err, harness.ErrOtherRun)
	assert.Contains(t, err.Error(), "options beta=1, this run asks for searcher ak on syn with seed 1, options beta=2")
	require.ErrorIs(t, other(func(j *harness.CellJob) { j.Seed = 2 }), harness.ErrOtherRun)
	require.ErrorIs(t, other(func(j *harness.CellJob) { j.Searcher = "bo" }), harness.ErrOtherRun)
	assert.Equal(t, 1, eng.Searches, "nothing ran again")
	assert.Equal(t, 1, eng.Finals)

	// Only the note, which is words, may differ.
	require.NoError(t, other(func(j *harness.CellJob) { j.Profile.Note = "reworded" }))
}

// mismatched is an Engine whose searches find their directory holds
// another run's unfinished search, as core/search reports it.
type mismatched struct{ fake.Engine }

func (mismatched) Search(context.Context, harness.SearchJob) (*harness.SearchResult, error) {
	return nil, fmt.Errorf("%w: dir has profile \"smoke\", options \"quick\"", search.ErrMismatch)
}

// TestRunCellOtherUnfinished resumes an unfinished search of another run:
// the loop's refusal is an ErrOtherRun, with what to do.
func TestRunCellOtherUnfinished(t *testing.T) {
	d, err := harness.Prepare(synthetic(40), synthetic(10), harness.Profile{}, 1)
	require.NoError(t, err)
	job := harness.CellJob{SearchJob: harness.SearchJob{Dir: t.TempDir(), Resume: true, Searcher: "ak", Seed: 1,
		Data: d, Profile: harness.Profile{Name: "quick"}}}
	_, err = harness.RunCell(context.Background(), &mismatched{}, job)
	require.ErrorIs(t, err, harness.ErrOtherRun)
	require.ErrorIs(t, err, search.ErrMismatch)
	assert.Contains(t, err.Error(), "another -out")
}

// TestRunCellDamagedResult resumes a finished search whose result file was
// cut short: a warning, then the search is read back and its final step
// done again, and the result file is whole again.
func TestRunCellDamagedResult(t *testing.T) {
	d, err := harness.Prepare(synthetic(40), synthetic(10), harness.Profile{}, 1)
	require.NoError(t, err)
	dir := filepath.Join(t.TempDir(), "bfs", "seed-1")
	eng := &fake.Engine{}
	var log bytes.Buffer
	job := harness.CellJob{
		SearchJob: harness.SearchJob{Dir: dir, Searcher: "bfs", Seed: 1, Data: d,
			Profile: harness.Profile{Name: "smoke"}, Logger: newLogger(&log)},
		Final: true,
	}
	first, err := harness.RunCell(context.Background(), eng, job)
	require.NoError(t, err)
	path := filepath.Join(dir, harness.ResultFile)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, data[:len(data)/2], 0o644))

	job.Resume = true
	again, err := harness.RunCell(context.Background(), eng, job)
	require.NoError(t, err)
	assert.Contains(t, log.String(), "level=WARN msg=\"result file unreadable")
	assert.Contains(t, log.String(), path)
	assert.Equal(t, 2, eng.Finals, "the final step is done again")
	assert.Equal(t, first.TestError, again.TestError)
	var back harness.Outcome
	require.NoError(t, harness.ReadJSON(path, &back))
	assert.True(t, back.Tested)
}

func TestMeta(t *testing.T) {
	m := harness.NewMeta("cmd")
	assert.Equal(t, "cmd", m.Command)
	assert.True(t, strings.HasPrefix(m.GoVersion, "go"))
	assert.NotEmpty(t, m.Commit)
	assert.Positive(t, m.CPUs)
}

func TestTracker(t *testing.T) {
	var log bytes.Buffer
	tr := harness.NewTracker(newLogger(&log), 3, time.Minute)
	p := tr.Start("searcher", "ak")
	// The first search has its whole budget ahead, and two more follow.
	assert.Contains(t, log.String(), "search=1 of=3")
	assert.Contains(t, log.String(), "time_left=3m0s")
	p.OnModel(harness.Status{Models: 2, Failed: 1, Best: 0.20999999999999996})
	assert.Contains(t, log.String(), "models=2 failed=1 best_error=0.21 ", "rounded to 4 decimals")
	p.OnModel(harness.Status{Models: 3, Best: 0.123456})
	assert.Contains(t, log.String(), "best_error=0.1235 ")
	p.Done()
	// A search faster than its budget does not shorten the estimate below
	// the budget of each search left: one skipped, one left.
	tr.Skip()
	log.Reset()
	tr.Start()
	assert.Contains(t, log.String(), "search=3 of=3")
	assert.Contains(t, log.String(), "time_left=1m0s")
}

func TestExitCode(t *testing.T) {
	var stderr bytes.Buffer
	assert.Equal(t, 0, harness.ExitCode("table1", nil, &stderr))
	assert.Equal(t, 0, harness.ExitCode("table1", fmt.Errorf("parse: %w", flag.ErrHelp), &stderr), "-h")
	assert.Empty(t, stderr.String(), "the flag set has written the usage already")
	assert.Equal(t, 1, harness.ExitCode("table1", errors.New("no data"), &stderr))
	assert.Equal(t, "table1: no data\n", stderr.String())
}
