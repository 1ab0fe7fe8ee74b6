// Command table1 reproduces Table 1 of the paper (section 5.1): every
// searcher on MNIST, CIFAR10 and FASHION in the paper's setting (80/20
// train/validation split of the training set, search, retrain the best
// architecture on train plus validation, evaluate once on the test set),
// at the scale of a named profile. It prints the table in the paper's
// layout, our test error as mean ± 95% CI over seeds with the paper's
// figure beside it, and writes it as Markdown, CSV and JSON under -out,
// with one resumable directory per search.
//
//	go run ./experiments/table1                  # quick profile
//	go run ./experiments/table1 -profile smoke -datasets mnist,fashion
//
// A data set that cannot be found is reported as missing in the table,
// with the places looked at and the command that installs it; the other
// columns still run. Stop it at any time (Ctrl-C) and run it again with
// -resume to continue: finished searches are read back, unfinished ones go
// on where they stopped.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/morphnas/morphnas/datasets"
	"github.com/morphnas/morphnas/experiments/internal/harness"
)

// paper holds Table 1 of the paper: error rates by method and data set.
var paper = map[string]map[string]string{
	"RANDOM": {"mnist": "1.79%", "cifar10": "16.86%", "fashion": "11.36%"},
	"GRID":   {"mnist": "1.68%", "cifar10": "17.17%", "fashion": "10.28%"},
	"SPMT":   {"mnist": "1.36%", "cifar10": "14.68%", "fashion": "9.62%"},
	"SMAC":   {"mnist": "1.43%", "cifar10": "15.04%", "fashion": "10.87%"},
	"SEAS":   {"mnist": "1.07%", "cifar10": "12.43%", "fashion": "8.05%"},
	"NASBOT": {"mnist": "NA", "cifar10": "12.30%", "fashion": "NA"},
	"BFS":    {"mnist": "1.56%", "cifar10": "13.84%", "fashion": "9.13%"},
	"BO":     {"mnist": "1.83%", "cifar10": "12.90%", "fashion": "7.99%"},
	"AK":     {"mnist": "0.55%", "cifar10": "11.44%", "fashion": "7.42%"},
}

// rows are the table's rows: the paper's in its order, then any other
// registered searcher. NASBOT, whose architectures the paper took from its
// authors, is not searched here.
var rows = harness.Rows(harness.Searchers())

// newEngine gives the search stack; tests replace it.
var newEngine = harness.Default

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := harness.ExitCode("table1", run(ctx, os.Args[1:], os.Stdout, os.Stderr), os.Stderr)
	stop()
	os.Exit(code)
}

// config is the checked command line.
type config struct {
	profile   harness.Profile
	datasets  []string
	searchers []string
	seeds     int
	out       string
	dataDir   string
	download  bool
	resume    bool
}

// parse reads and checks the flags.
func parse(args []string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("table1", flag.ContinueOnError)
	fs.SetOutput(stderr)
	profile := fs.String("profile", "quick", "scale: "+strings.Join(harness.ProfileNames(), ", "))
	ds := fs.String("datasets", strings.Join(datasets.Names(), ","), "data sets, comma-separated")
	ss := fs.String("searchers", strings.Join(harness.Searchers(), ","), "searchers, comma-separated")
	seeds := fs.Int("seeds", 0, "seeds per search (1, 2, ...); 0 means the profile's")
	out := fs.String("out", "", "output directory; empty means results/table1-<profile>")
	dataDir := fs.String("data-dir", "", "directory looked in first for the data set files")
	download := fs.Bool("download", false, "download data sets found nowhere (needs network)")
	resume := fs.Bool("resume", false, "continue the searches found in -out")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	c := &config{seeds: *seeds, out: *out, dataDir: *dataDir, download: *download, resume: *resume}
	var err error
	if c.profile, err = harness.LookupProfile(*profile); err != nil {
		return nil, fmt.Errorf("-profile: %w", err)
	}
	if c.datasets, err = harness.ParseList("datasets", *ds, datasets.Names()); err != nil {
		return nil, err
	}
	if c.searchers, err = harness.ParseList("searchers", *ss, harness.Searchers()); err != nil {
		return nil, err
	}
	if c.seeds < 0 {
		return nil, fmt.Errorf("-seeds: %d is negative", c.seeds)
	}
	if c.seeds == 0 {
		c.seeds = c.profile.Seeds
	}
	if c.out == "" {
		c.out = filepath.Join("results", "table1-"+c.profile.Name)
	}
	return c, nil
}

// Report is the JSON form of a run: the table and everything it was run
// with.
type Report struct {
	Profile   harness.Profile    `json:"profile"`
	Meta      harness.Meta       `json:"meta"`
	Seeds     int                `json:"seeds"`
	Datasets  []string           `json:"datasets"`
	Searchers []string           `json:"searchers"`
	Table     harness.Table      `json:"table"`
	Outcomes  []*harness.Outcome `json:"outcomes"`
	Missing   map[string]string  `json:"missing,omitempty"`
	Failures  []string           `json:"failures,omitempty"`
	// Seconds is the wall time of the whole run.
	Seconds  float64 `json:"seconds"`
	firstErr error
}

// run is the whole program: flags, searches, table.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parse(args, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	start := time.Now()
	meta := harness.NewMeta("go run ./experiments/table1 " + strings.Join(args, " "))

	eng := newEngine()
	rep := &Report{Profile: c.profile, Meta: meta, Seeds: c.seeds, Datasets: c.datasets,
		Searchers: c.searchers, Missing: map[string]string{}}
	cells := map[[2]string]*harness.Cell{} // by searcher, data set
	for _, s := range c.searchers {
		for _, d := range c.datasets {
			cells[[2]string{s, d}] = &harness.Cell{}
		}
	}

	// Load every data set first, so that the time left counts only the
	// searches that will run; a data set found nowhere is a missing column.
	type sets struct{ train, test *datasets.Set }
	loaded := map[string]sets{}
	var found []string
	for _, d := range c.datasets {
		train, test, err := harness.Load(ctx, d, harness.LoadOptions{Dir: c.dataDir, Download: c.download, Logger: log})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			log.Warn("data set missing", "dataset", d, "err", err)
			rep.Missing[d] = err.Error()
			continue
		}
		loaded[d] = sets{train, test}
		found = append(found, d)
	}

	n := len(found) * len(c.searchers) * c.seeds
	fmt.Fprintf(stdout, "Table 1 at %s\n  %s\n  seeds: %d; %s; results in %s\n\n",
		c.profile.Summary(), c.profile.Note, c.seeds, c.profile.Plan(n, true), c.out)
	tracker := harness.NewTracker(log, n, c.profile.Budget.D())
	for _, d := range found {
		train, test := loaded[d].train, loaded[d].test
		delete(loaded, d) // free the memory once this data set is done
		for seed := 1; seed <= c.seeds; seed++ {
			data, err := harness.Prepare(train, test, c.profile, uint64(seed))
			if err != nil {
				return err
			}
			for _, s := range c.searchers {
				job := harness.CellJob{
					SearchJob: harness.SearchJob{
						Dir:      filepath.Join(c.out, d, s, fmt.Sprintf("seed-%d", seed)),
						Resume:   c.resume,
						Searcher: s, Seed: uint64(seed), Profile: c.profile, Data: data, Logger: log,
					},
					Final: true, Meta: meta, Tracker: tracker,
				}
				o, err := harness.RunCell(ctx, eng, job)
				if err != nil {
					if ctx.Err() != nil {
						return fmt.Errorf("stopped; run again with -resume to continue: %w", ctx.Err())
					}
					if errors.Is(err, harness.ErrOtherRun) {
						return err // every search of -out is likely of that run too
					}
					log.Warn("search failed", "searcher", s, "dataset", d, "seed", seed, "err", err)
					rep.Failures = append(rep.Failures, err.Error())
					if rep.firstErr == nil {
						rep.firstErr = err
					}
					cells[[2]string{s, d}].Status = harness.StatusFailed
					cells[[2]string{s, d}].Missing = err.Error()
					continue
				}
				rep.Outcomes = append(rep.Outcomes, o)
				cell := cells[[2]string{s, d}]
				cell.Errors = append(cell.Errors, o.TestError)
				cell.Seeds = append(cell.Seeds, o.Seed)
			}
		}
	}

	// The table, in the paper's layout; none when nothing produced a
	// result, so that an earlier table in -out is not replaced by an empty
	// one.
	rep.Seconds = time.Since(start).Seconds()
	rep.Table = buildTable(c, cells, rep.Missing)
	if err := rep.Table.Fill(); err != nil {
		return err
	}
	if len(rep.Outcomes) == 0 {
		if err := rep.Table.Terminal(stdout); err != nil {
			return err
		}
		var why []string
		for _, d := range c.datasets {
			if m, ok := rep.Missing[d]; ok {
				why = append(why, m)
			}
		}
		if rep.firstErr != nil {
			why = append(why, rep.firstErr.Error())
		}
		return fmt.Errorf("no search produced a result, so no table is written: %s", strings.Join(why, "; "))
	}
	if err := write(c.out, rep); err != nil {
		return err
	}
	if err := rep.Table.Terminal(stdout); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nfinished in %s; written: %s\n", time.Duration(rep.Seconds*1e9).Round(time.Second),
		strings.Join(outputs(c.out), ", "))
	if len(rep.Failures) > 0 {
		return fmt.Errorf("%d of %d searches failed; the table marks them; the first: %w",
			len(rep.Failures), len(c.datasets)*len(c.searchers)*c.seeds, rep.firstErr)
	}
	return nil
}

// buildTable lays the cells out as the paper's Table 1: rows are methods,
// columns data sets, with the paper's figures and notes on missing data
// and scale.
func buildTable(c *config, cells map[[2]string]*harness.Cell, missing map[string]string) harness.Table {
	t := harness.Table{Title: "Table 1. Classification error rate (test set), profile " + c.profile.Name}
	for _, d := range c.datasets {
		t.Columns = append(t.Columns, harness.Label(d))
	}
	for _, s := range rows {
		row := harness.Row{Method: harness.Label(s)}
		for _, d := range c.datasets {
			var cell harness.Cell
			switch {
			case s == "nasbot":
				cell.Status = harness.StatusNA
				cell.Missing = "NASBOT is not searched here: the paper trained the architectures its authors published"
			case cells[[2]string{s, d}] != nil:
				cell = *cells[[2]string{s, d}]
			default:
				cell.Status = harness.StatusNotRun
				cell.Missing = "not selected with -searchers"
			}
			if m, ok := missing[d]; ok && s != "nasbot" {
				cell.Status, cell.Missing = harness.StatusMissing, m
			}
			cell.Paper = paper[harness.Label(s)][d]
			row.Cells = append(row.Cells, cell)
		}
		t.Rows = append(t.Rows, row)
	}
	t.Notes = append(t.Notes, c.profile.Summary()+".", c.profile.Note+".",
		fmt.Sprintf("Our figure: mean test error over %d seed(s), ± the half-width of the 95%% confidence interval "+
			"(Student's t) where there are 2 or more seeds; the paper's figure in brackets.", c.seeds))
	if c.seeds < 2 {
		t.Notes = append(t.Notes, "One seed: no confidence interval can be computed.")
	}
	for _, d := range c.datasets {
		if m, ok := missing[d]; ok {
			t.Notes = append(t.Notes, harness.Label(d)+" missing: "+m)
		}
	}
	return t
}

// outputs are the files write produces.
func outputs(dir string) []string {
	return []string{filepath.Join(dir, "table1.md"), filepath.Join(dir, "table1.csv"), filepath.Join(dir, "table1.json")}
}

// write saves the table as Markdown (with the run's record), CSV and JSON.
func write(dir string, rep *Report) error {
	files := outputs(dir)
	err := harness.WriteWith(files[0], func(w io.Writer) error {
		if err := rep.Table.Markdown(w); err != nil {
			return err
		}
		m := rep.Meta
		_, err := fmt.Fprintf(w, "\nProduced by `%s` on %s in %s, commit %s, %s, %s/%s, %s (%d CPUs), %s backend.\n",
			m.Command, m.Started.Format("2006-01-02 15:04 MST"), time.Duration(rep.Seconds*1e9).Round(time.Second),
			m.Commit, m.GoVersion, m.OS, m.Arch, m.CPU, m.CPUs, m.Backend)
		return err
	})
	if err != nil {
		return err
	}
	if err := harness.WriteWith(files[1], rep.Table.CSV); err != nil {
		return err
	}
	return harness.WriteJSON(files[2], rep)
}
