// Command efficiency reproduces figures 4b and 4c of the paper (section
// 5.2): AK, BFS and BO searching one data set, the lowest validation error
// so far against the number of models searched (4b) and against search
// time (4c), one line per searcher with a 95% confidence band over seeds.
//
//	go run ./experiments/efficiency                       # quick, MNIST
//	go run ./experiments/efficiency -dataset cifar10 -profile cpu
//
// It writes fig4b and fig4c as PNG and SVG, the curves behind them and
// every model of every search as CSV, and a JSON record, under -out. The
// paper ran this on CIFAR10 for 12 hours; the default is MNIST because it
// is found without a download. Stop it at any time and run it again with
// -resume to continue.
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
	"strconv"
	"strings"
	"syscall"

	"gonum.org/v1/plot"

	"github.com/morphnas/morphnas/datasets"
	"github.com/morphnas/morphnas/experiments/internal/harness"
	"github.com/morphnas/morphnas/plots"
)

// newEngine gives the search stack; tests replace it.
var newEngine = harness.Default

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := harness.ExitCode("efficiency", run(ctx, os.Args[1:], os.Stdout, os.Stderr), os.Stderr)
	stop()
	os.Exit(code)
}

// config is the checked command line.
type config struct {
	harness.Flags
	dataset   string
	searchers []string
}

func parse(args []string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("efficiency", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &config{}
	c.Register(fs, "efficiency")
	ds := fs.String("dataset", "mnist", "data set: "+strings.Join(datasets.Names(), ", "))
	ss := fs.String("searchers", "ak,bfs,bo", "searchers, comma-separated")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	// Two seeds at least by default, for a band.
	if err := c.Check("efficiency", 2); err != nil {
		return nil, err
	}
	d, err := harness.ParseList("dataset", *ds, datasets.Names())
	if err != nil {
		return nil, err
	}
	if len(d) != 1 {
		return nil, fmt.Errorf("-dataset: want one data set, got %q", *ds)
	}
	c.dataset = d[0]
	if c.searchers, err = harness.ParseList("searchers", *ss, harness.Searchers()); err != nil {
		return nil, err
	}
	return c, nil
}

// Report is the JSON record of a run.
type Report struct {
	Profile   harness.Profile       `json:"profile"`
	Meta      harness.Meta          `json:"meta"`
	Dataset   string                `json:"dataset"`
	Seeds     int                   `json:"seeds"`
	Searchers []string              `json:"searchers"`
	Models    map[string]plots.Band `json:"models_band"`
	Time      map[string]plots.Band `json:"time_band"`
	Warnings  []string              `json:"warnings,omitempty"`
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parse(args, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	meta := harness.NewMeta("go run ./experiments/efficiency " + strings.Join(args, " "))
	fmt.Fprintf(stdout, "Figures 4b and 4c on %s at %s\n  %s\n  seeds: %d; %s; results in %s\n",
		c.dataset, c.Profile.Summary(), c.Profile.Note, c.Seeds, c.Profile.Plan(len(c.searchers)*c.Seeds, false),
		c.Out)

	train, test, err := harness.Load(ctx, c.dataset, harness.LoadOptions{Dir: c.DataDir, Download: c.Download, Logger: log})
	if err != nil {
		return err
	}

	// The searches, seed by seed.
	eng := newEngine()
	tracker := harness.NewTracker(log, len(c.searchers)*c.Seeds, c.Profile.Budget.D())
	runs := map[string][]plots.Run{}
	var models [][]string
	var failures []error
	for seed := 1; seed <= c.Seeds; seed++ {
		data, err := harness.Prepare(train, test, c.Profile, uint64(seed))
		if err != nil {
			return err
		}
		for _, s := range c.searchers {
			o, err := harness.RunCell(ctx, eng, harness.CellJob{
				SearchJob: harness.SearchJob{
					Dir: filepath.Join(c.Out, s, fmt.Sprintf("seed-%d", seed)), Resume: c.Resume,
					Searcher: s, Seed: uint64(seed), Profile: c.Profile, Data: data, Logger: log,
				},
				Meta: meta, Tracker: tracker,
			})
			if err != nil {
				if ctx.Err() != nil {
					return fmt.Errorf("stopped; run again with -resume to continue: %w", ctx.Err())
				}
				if errors.Is(err, harness.ErrOtherRun) {
					return err // every search of -out is likely of that run too
				}
				log.Warn("search failed", "searcher", s, "seed", seed, "err", err)
				failures = append(failures, err)
				continue
			}
			runs[s] = append(runs[s], o.Run())
			for _, m := range o.Search.Models {
				models = append(models, []string{s, strconv.Itoa(seed), strconv.Itoa(m.ID),
					ftoa(m.Elapsed), ftoa(m.Seconds), ftoa(m.Cost), strconv.FormatBool(m.Failed)})
			}
		}
	}

	// Figures and the data behind them.
	rep := &Report{Profile: c.Profile, Meta: meta, Dataset: c.dataset, Seeds: c.Seeds, Searchers: c.searchers,
		Models: map[string]plots.Band{}, Time: map[string]plots.Band{}}
	if c.Seeds < 2 {
		rep.Warnings = append(rep.Warnings, "one seed: the figures have no confidence band")
	}
	for _, err := range failures {
		rep.Warnings = append(rep.Warnings, err.Error())
	}
	var series []plots.Series
	curves := [][]string{{"figure", "searcher", "x", "mean_error", "lo95", "hi95", "runs"}}
	var drawn []string
	for _, s := range c.searchers {
		if len(runs[s]) == 0 {
			rep.Warnings = append(rep.Warnings, s+": no search finished, left out of the figures")
			continue
		}
		drawn = append(drawn, s)
		series = append(series, plots.Series{Name: harness.Label(s), Runs: runs[s]})
		mb, err := plots.ModelBand(runs[s])
		if err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
		tb, err := plots.TimeBand(runs[s], 200)
		if err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
		rep.Models[s], rep.Time[s] = mb, tb
		curves = appendBand(curves, "4b", s, mb)
		curves = appendBand(curves, "4c", s, tb)
	}
	if len(series) == 0 {
		return fmt.Errorf("no search finished: %w", errors.Join(failures...))
	}
	title := fmt.Sprintf("%s, profile %s, %d seed(s)", harness.Label(c.dataset), c.Profile.Name, c.Seeds)
	b, err := plots.BestVsModels("Figure 4b: "+title, series)
	if err != nil {
		return err
	}
	t, err := plots.BestVsTime("Figure 4c: "+title, series)
	if err != nil {
		return err
	}
	var written []string
	figs := []struct {
		name string
		p    *plot.Plot
	}{{"fig4b", b}, {"fig4c", t}}
	for _, f := range figs {
		for _, ext := range []string{".png", ".svg"} {
			path := filepath.Join(c.Out, f.name+ext)
			if err := plots.Save(f.p, path); err != nil {
				return err
			}
			written = append(written, path)
		}
	}
	modelsCSV := append([][]string{{"searcher", "seed", "model", "elapsed_s", "train_s", "val_error", "failed"}}, models...)
	for _, f := range []string{"curves.csv", "models.csv"} {
		recs := curves
		if f == "models.csv" {
			recs = modelsCSV
		}
		path := filepath.Join(c.Out, f)
		if err := harness.WriteCSV(path, recs); err != nil {
			return err
		}
		written = append(written, path)
	}
	path := filepath.Join(c.Out, "efficiency.json")
	if err := harness.WriteJSON(path, rep); err != nil {
		return err
	}
	written = append(written, path)

	// A summary: models searched and the lowest error at the end.
	fmt.Fprintln(stdout)
	for _, s := range drawn {
		mb := rep.Models[s]
		last := len(mb.X) - 1
		fmt.Fprintf(stdout, "  %-6s up to %3.0f models, lowest validation error %.2f%% (mean over seeds)\n",
			harness.Label(s), mb.X[last], 100*mb.Mean[last])
	}
	for _, w := range rep.Warnings {
		fmt.Fprintln(stdout, "  warning:", w)
	}
	fmt.Fprintf(stdout, "written: %s\n", strings.Join(written, ", "))
	if len(failures) > 0 {
		return fmt.Errorf("%d searches failed; the figures leave them out; the first: %w", len(failures), failures[0])
	}
	return nil
}

// appendBand adds a band's points to the curves CSV.
func appendBand(recs [][]string, fig, searcher string, b plots.Band) [][]string {
	for i := range b.X {
		recs = append(recs, []string{fig, searcher, ftoa(b.X[i]), ftoa(b.Mean[i]), ftoa(b.Lo[i]), ftoa(b.Hi[i]),
			strconv.Itoa(b.N[i])})
	}
	return recs
}

func ftoa(x float64) string { return strconv.FormatFloat(x, 'g', 6, 64) }
