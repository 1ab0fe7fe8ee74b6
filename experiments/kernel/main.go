// Command kernel reproduces figure 5 of the paper (section 5.4): for the
// models of one AK search, the kernel matrix K (K_ij = kappa(f_i, f_j), the
// edit-distance kernel of section 3.1) and the performance matrix P
// (P_ij = -|c_i - c_j|, c the validation error), both normalised to
// [-1, 1], drawn as heat maps side by side, and the mean squared difference
// between them (the paper reports 0.112 on CIFAR10).
//
//	go run ./experiments/kernel -from results/table1-quick/mnist/ak/seed-1
//	go run ./experiments/kernel                  # runs a quick AK search on MNIST first
//
// The kernel's length scale l (kappa = exp(-rho^2 / l^2), see core/kernel)
// is the one the search used: -length when given; else the search's own when
// it recorded one; else the one core/bayes chooses for the whole history by
// the Gaussian process's log marginal likelihood, as an AK search's last
// proposal would (the searchers' default). -length 1 gives the paper's form.
// The record holds the scale, where it came from, and the likelihood of
// each scale tried.
//
// -from takes a finished search directory: one written by the experiments
// (holding result.json) or any core/search directory (holding run.json and
// its journal). Without -from it runs one AK search at the profile's scale
// in -out/search (resumable with -resume). Models are in the order the
// search observed them; failed models are left out. It writes fig5 as PNG
// and SVG, the matrices as CSV and a JSON record under -out.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/morphnas/morphnas/core/bayes"
	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/kernel"
	"github.com/morphnas/morphnas/core/search"
	"github.com/morphnas/morphnas/datasets"
	"github.com/morphnas/morphnas/experiments/internal/harness"
	"github.com/morphnas/morphnas/plots"
)

// newEngine gives the search stack; tests replace it.
var newEngine = harness.Default

// paperMSE is the paper's figure for CIFAR10 (section 5.4).
const paperMSE = 0.112

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := harness.ExitCode("kernel", run(ctx, os.Args[1:], os.Stdout, os.Stderr), os.Stderr)
	stop()
	os.Exit(code)
}

// config is the checked command line.
type config struct {
	harness.Flags
	from      string
	dataset   string
	lambda    float64
	lambdaSet bool // -lambda given on the command line
	length    float64
	seed      uint64
	maxModels int
}

func parse(args []string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("kernel", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &config{}
	c.Register(fs, "kernel")
	fs.StringVar(&c.from, "from", "", "a finished search directory; empty means run an AK search first")
	ds := fs.String("dataset", "mnist", "data set of the search run without -from: "+strings.Join(datasets.Names(), ", "))
	fs.Float64Var(&c.lambda, "lambda", 1, "weight of skip connections in the kernel's distance (equation 3); "+
		"by default the search's own when it set one, else 1")
	fs.Float64Var(&c.length, "length", 0, "length scale l of the kernel exp(-rho^2/l^2); 0 means the search's own "+
		"when it recorded one, else the one of highest marginal likelihood on the history (core/bayes)")
	fs.Uint64Var(&c.seed, "seed", 1, "seed of the search run without -from and of the Bourgain embedding")
	fs.IntVar(&c.maxModels, "max-models", 0, "cap on the models of the search run without -from; 0 means the profile's")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	fs.Visit(func(f *flag.Flag) { c.lambdaSet = c.lambdaSet || f.Name == "lambda" })
	if err := c.Check("kernel", 1); err != nil {
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
	if !(c.lambda >= 0) || math.IsInf(c.lambda, 0) {
		return nil, fmt.Errorf("-lambda: %v, want finite and >= 0", c.lambda)
	}
	if !(c.length >= 0) || math.IsInf(c.length, 0) {
		return nil, fmt.Errorf("-length: %v, want finite and >= 0", c.length)
	}
	if c.maxModels < 0 {
		return nil, fmt.Errorf("-max-models: %d is negative", c.maxModels)
	}
	if c.from != "" {
		if st, err := os.Stat(c.from); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("-from: %s is not a directory", c.from)
		}
	}
	return c, nil
}

// Report is the JSON record of a run.
type Report struct {
	Meta harness.Meta `json:"meta"`
	// Profile is that of the search, when known.
	Profile  *harness.Profile `json:"profile,omitempty"`
	Source   string           `json:"source"`
	Searcher string           `json:"searcher"`
	Lambda   float64          `json:"lambda"`
	// Length is the kernel's length scale l, LengthFrom where it came from:
	// "flag" (-length), "search" (the search's recorded setting) or
	// "likelihood" (chosen on this history by core/bayes), and Lengths the
	// scales tried with their log marginal likelihoods (absent for "flag"
	// and "search").
	Length     float64     `json:"length"`
	LengthFrom string      `json:"length_from"`
	Lengths    []lengthTry `json:"lengths,omitempty"`
	Seed       uint64      `json:"seed"`
	IDs        []int       `json:"ids"`
	Costs      []float64   `json:"costs"`
	K          [][]float64 `json:"k"`
	P          [][]float64 `json:"p"`
	KNorm      [][]float64 `json:"k_norm"`
	PNorm      [][]float64 `json:"p_norm"`
	MSE        float64     `json:"mse"`
	PaperMSE   float64     `json:"paper_mse"`
	Warnings   []string    `json:"warnings,omitempty"`
	// searchLambda and searchLength are the lambda and the length scale
	// the search ran with, 0 when unknown.
	searchLambda, searchLength float64
}

// lengthTry is a length scale and the log marginal likelihood of the
// Gaussian process fitted with it.
type lengthTry struct {
	Length float64 `json:"length"`
	LogML  float64 `json:"log_ml"`
}

// model is what the figure needs of one model.
type model struct {
	id    int
	cost  float64
	graph *graph.Graph
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parse(args, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	rep := &Report{Meta: harness.NewMeta("go run ./experiments/kernel " + strings.Join(args, " ")),
		Lambda: c.lambda, Seed: c.seed, PaperMSE: paperMSE}

	// The models: from a finished search, or from one run now.
	src := c.from
	if src == "" {
		if src, err = search1(ctx, c, rep.Meta, log, stdout); err != nil {
			return err
		}
	}
	models, err := readModels(src, rep)
	if err != nil {
		return err
	}
	if !c.lambdaSet && rep.searchLambda > 0 {
		rep.Lambda = rep.searchLambda
	}
	if len(models) < 2 {
		return fmt.Errorf("%s has %d successful model(s); the matrices need 2 or more", src, len(models))
	}
	if rep.Searcher != "" && rep.Searcher != "ak" {
		rep.Warnings = append(rep.Warnings, "the search is by "+rep.Searcher+", not AK")
	}

	// K from the kernel of section 3.1, P from the errors.
	archs := make([]kernel.Arch, len(models))
	for i, m := range models {
		rep.IDs = append(rep.IDs, m.id)
		rep.Costs = append(rep.Costs, m.cost)
		if archs[i], err = kernel.Describe(m.graph); err != nil {
			return fmt.Errorf("model %d: %w", m.id, err)
		}
	}
	k, err := scaled(c, models, archs, rep)
	if err != nil {
		return err
	}
	rep.K = k.Matrix()
	rep.P = performance(rep.Costs)
	var warn string
	if rep.KNorm, warn = normalise(rep.K); warn != "" {
		rep.Warnings = append(rep.Warnings, "K: "+warn)
	}
	if rep.PNorm, warn = normalise(rep.P); warn != "" {
		rep.Warnings = append(rep.Warnings, "P: "+warn)
	}
	rep.MSE = mse(rep.KNorm, rep.PNorm)

	// Files.
	if err := write(c.Out, rep); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\n%d models of %s\nkernel length scale %.3g (%s)\nmean squared difference of normalised K and P: %.4f (paper: %.3f on CIFAR10)\n",
		len(models), src, rep.Length, rep.LengthFrom, rep.MSE, paperMSE)
	for _, w := range rep.Warnings {
		fmt.Fprintln(stdout, "warning:", w)
	}
	fmt.Fprintf(stdout, "written: %s\n", strings.Join(outputs(c.Out), ", "))
	return nil
}

// scaled returns the kernel of the models at the length scale the search
// used, and records the scale and its origin in rep.
func scaled(c *config, models []model, archs []kernel.Arch, rep *Report) (*kernel.Kernel, error) {
	switch {
	case c.length > 0:
		rep.Length, rep.LengthFrom = c.length, "flag"
	case rep.searchLength > 0:
		rep.Length, rep.LengthFrom = rep.searchLength, "search"
	}
	if rep.Length > 0 {
		return kernel.New(archs, kernel.Config{Lambda: rep.Lambda, Seed: c.seed, Length: rep.Length})
	}
	obs := make([]search.Observation, len(models))
	for i, m := range models {
		obs[i] = search.Observation{ID: m.id, Cost: m.cost, Graph: m.graph}
	}
	s, err := bayes.Fit(obs, bayes.Config{Lambda: rep.Lambda, Seed: c.seed})
	if err != nil {
		return nil, err
	}
	rep.Length, rep.LengthFrom = s.Length(), "likelihood"
	if grid := bayes.DefaultLengths(); s.Length() == grid[0] || s.Length() == grid[len(grid)-1] {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("length scale %g chosen at the edge of the grid %.3g to %.3g",
			s.Length(), grid[0], grid[len(grid)-1]))
	}
	for _, t := range s.Tried() {
		if math.IsNaN(t.LogML) {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("length scale %g: the Gaussian process could not be fitted", t.Length))
			continue
		}
		rep.Lengths = append(rep.Lengths, lengthTry{t.Length, t.LogML})
	}
	return s.Kernel(), nil
}

// search1 runs one AK search at the profile's scale in out/search and
// returns its directory.
func search1(ctx context.Context, c *config, meta harness.Meta, log *slog.Logger, stdout io.Writer) (string, error) {
	p := c.Profile
	if c.maxModels > 0 {
		p.MaxModels = c.maxModels
	}
	fmt.Fprintf(stdout, "Figure 5: an AK search on %s at %s\n  %s\n  results in %s\n",
		c.dataset, p.Summary(), p.Note, c.Out)
	train, test, err := harness.Load(ctx, c.dataset, harness.LoadOptions{Dir: c.DataDir, Download: c.Download, Logger: log})
	if err != nil {
		return "", err
	}
	data, err := harness.Prepare(train, test, p, c.seed)
	if err != nil {
		return "", err
	}
	dir := filepath.Join(c.Out, "search")
	_, err = harness.RunCell(ctx, newEngine(), harness.CellJob{
		SearchJob: harness.SearchJob{Dir: dir, Resume: c.Resume, Searcher: "ak", Seed: c.seed, Profile: p,
			Data: data, Logger: log},
		Meta: meta, Tracker: harness.NewTracker(log, 1, p.Budget.D()),
	})
	if err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("stopped; run again with -resume to continue: %w", ctx.Err())
		}
		return "", err
	}
	return dir, nil
}

// readModels reads the successful models of a search directory: the
// experiments' result file when there is one, else core/search's store.
func readModels(dir string, rep *Report) ([]model, error) {
	rep.Source = dir
	var o harness.Outcome
	err := harness.ReadJSON(filepath.Join(dir, harness.ResultFile), &o)
	switch {
	case err == nil:
		rep.Searcher = o.Searcher
		rep.Profile = &o.Profile
		rep.searchLambda, rep.searchLength = o.Options["lambda"], o.Options["length"]
		var ms []model
		for _, m := range o.Search.Models {
			if !m.Failed && m.Graph != nil {
				ms = append(ms, model{m.ID, m.Cost, m.Graph})
			}
		}
		return ms, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	st, err := search.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("-from: %s holds neither %s nor a search: %w", dir, harness.ResultFile, err)
	}
	rep.Searcher = st.Record().Searcher
	if p, err := harness.LookupProfile(st.Record().Profile); err == nil {
		rep.Profile = &p
	}
	var opts map[string]float64 // the experiments record searcher options so
	if json.Unmarshal(st.Record().Settings, &opts) == nil {
		rep.searchLambda, rep.searchLength = opts["lambda"], opts["length"]
	}
	var ms []model
	for _, ob := range st.History().Observations {
		if !ob.Failed && ob.Graph != nil {
			ms = append(ms, model{ob.ID, ob.Cost, ob.Graph})
		}
	}
	return ms, nil
}

// performance returns P_ij = -|c_i - c_j| (section 5.4).
func performance(c []float64) [][]float64 {
	p := make([][]float64, len(c))
	for i := range c {
		p[i] = make([]float64, len(c))
		for j := range c {
			p[i][j] = -math.Abs(c[i] - c[j])
		}
	}
	return p
}

// normalise maps m linearly onto [-1, 1], its minimum to -1 and maximum to
// 1. A constant matrix cannot be stretched: it maps to all 1 (every pair
// alike, as on the diagonal) with a warning.
func normalise(m [][]float64) ([][]float64, string) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, row := range m {
		for _, v := range row {
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	out := make([][]float64, len(m))
	for i, row := range m {
		out[i] = make([]float64, len(row))
		for j, v := range row {
			if hi > lo {
				out[i][j] = 2*(v-lo)/(hi-lo) - 1
			} else {
				out[i][j] = 1
			}
		}
	}
	if hi > lo {
		return out, ""
	}
	return out, fmt.Sprintf("all entries equal (%v): normalised to 1", lo)
}

// mse is the mean of the squared differences over all entries.
func mse(a, b [][]float64) float64 {
	sum, n := 0.0, 0
	for i := range a {
		for j := range a[i] {
			d := a[i][j] - b[i][j]
			sum += d * d
			n++
		}
	}
	return sum / float64(n)
}

// outputs are the files write produces.
func outputs(dir string) []string {
	return []string{filepath.Join(dir, "fig5.png"), filepath.Join(dir, "fig5.svg"),
		filepath.Join(dir, "matrices.csv"), filepath.Join(dir, "kernel.json")}
}

// write saves the figure, the matrices and the record.
func write(dir string, rep *Report) error {
	files := outputs(dir)
	n := len(rep.IDs)
	hm, err := plots.HeatMaps(fmt.Sprintf("(a) kernel matrix K, λ = %g, l = %.3g", rep.Lambda, rep.Length), rep.KNorm,
		"(b) performance matrix P", rep.PNorm)
	if err != nil {
		return err
	}
	for _, f := range files[:2] {
		if err := plots.SaveRow(f, 2*plots.Height, plots.Height, hm...); err != nil {
			return err
		}
	}
	recs := [][]string{{"i", "j", "id_i", "id_j", "k", "p", "k_norm", "p_norm"}}
	for i := range n {
		for j := range n {
			recs = append(recs, []string{strconv.Itoa(i), strconv.Itoa(j), strconv.Itoa(rep.IDs[i]),
				strconv.Itoa(rep.IDs[j]), ftoa(rep.K[i][j]), ftoa(rep.P[i][j]), ftoa(rep.KNorm[i][j]),
				ftoa(rep.PNorm[i][j])})
		}
	}
	if err := harness.WriteCSV(files[2], recs); err != nil {
		return err
	}
	return harness.WriteJSON(files[3], rep)
}

func ftoa(x float64) string { return strconv.FormatFloat(x, 'g', 6, 64) }
