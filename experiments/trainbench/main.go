// Command trainbench measures the training and inference throughput of the
// paper's initial network (three conv layers of 64 filters, section 5) on
// MNIST with this module's trainer, and prints images per second, peak
// memory and the backend used.
//
//	go run ./experiments/trainbench [-json] [-steps N] [-batch 64] [-data-dir DIR]
//
// Build with `-tags openblas` (after `apt-get install -y libopenblas-dev`)
// for the OpenBLAS backend. torch_reference.py beside this file runs the
// same network, batch and dtype in PyTorch and prints the same JSON object.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/train"
	"github.com/morphnas/morphnas/datasets"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// report is what trainbench prints.
type report struct {
	TrainImgPerS float64 `json:"train_img_per_s"`
	InferImgPerS float64 `json:"infer_img_per_s"`
	PeakRSSMB    float64 `json:"peak_rss_mb"`
	Backend      string  `json:"backend"`
	Data         string  `json:"data"`
	Batch        int     `json:"batch"`
	Steps        int     `json:"steps"`
	Threads      int     `json:"threads"`
	FinalLoss    float64 `json:"final_loss"`
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("trainbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print one JSON object")
	steps := fs.Int("steps", 100, "timed training steps (after 5 warm-up steps)")
	batch := fs.Int("batch", 64, "batch size")
	dataDir := fs.String("data-dir", "", "directory holding the MNIST IDX files (searched first)")
	synthetic := fs.Bool("synthetic", false, "use random images instead of MNIST")
	threads := fs.Int("threads", 0, "worker goroutines (0: GOMAXPROCS)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case *steps <= 0:
		return fmt.Errorf("trainbench: -steps %d must be positive", *steps)
	case *batch <= 0:
		return fmt.Errorf("trainbench: -batch %d must be positive", *batch)
	case *threads < 0:
		return fmt.Errorf("trainbench: -threads %d must not be negative", *threads)
	}
	workers := *threads
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}

	// Data: MNIST's training images, or random ones.
	need := (*steps + 5) * *batch
	x, y, source, err := loadData(ctx, *dataDir, *synthetic, need)
	if err != nil {
		return err
	}
	n := len(y)

	g := graph.Initial(graph.Shape{H: 28, W: 28, C: 1}, 10)
	s, err := train.NewStepper(g, train.Config{BatchSize: *batch, Seed: 1, Workers: workers})
	if err != nil {
		return err
	}
	sz := 28 * 28
	at := func(i int) ([]float32, []int) {
		lo := (i * *batch) % (n - *batch + 1)
		return x[lo*sz : (lo+*batch)*sz], y[lo : lo+*batch]
	}

	// Training steps, after a warm-up.
	var loss float64
	for i := range 5 {
		if _, err := s.Step(at(i)); err != nil {
			return err
		}
	}
	t0 := time.Now()
	for i := range *steps {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if loss, err = s.Step(at(5 + i)); err != nil {
			return err
		}
	}
	trainRate := float64(*steps**batch) / time.Since(t0).Seconds()

	// Inference on the same number of batches.
	t0 = time.Now()
	for i := range *steps {
		xb, _ := at(i)
		if _, err := s.Infer(xb, *batch); err != nil {
			return err
		}
	}
	inferRate := float64(*steps**batch) / time.Since(t0).Seconds()

	r := report{
		TrainImgPerS: trainRate, InferImgPerS: inferRate, PeakRSSMB: peakRSSMB(),
		Backend: s.Backend(), Data: source, Batch: *batch, Steps: *steps, Threads: workers, FinalLoss: loss,
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		return enc.Encode(r)
	}
	fmt.Fprintf(stdout, "backend            %s (%d threads)\n", r.Backend, r.Threads)
	fmt.Fprintf(stdout, "data               %s, batch %d, %d steps\n", r.Data, r.Batch, r.Steps)
	fmt.Fprintf(stdout, "train img/s        %.0f\n", r.TrainImgPerS)
	fmt.Fprintf(stdout, "inference img/s    %.0f\n", r.InferImgPerS)
	fmt.Fprintf(stdout, "peak RSS MB        %.0f\n", r.PeakRSSMB)
	fmt.Fprintf(stdout, "last batch loss    %.4f\n", r.FinalLoss)
	return nil
}

// loadData returns at least need examples (repeating when the set is
// smaller) of MNIST's training images, or random ones when synthetic is
// set, and says which.
func loadData(ctx context.Context, dir string, synthetic bool, need int) ([]float32, []int, string, error) {
	const sz = 28 * 28
	if synthetic {
		rng := rand.New(rand.NewPCG(1, 2))
		x, y := make([]float32, need*sz), make([]int, need)
		for i := range x {
			x[i] = rng.Float32()
		}
		for i := range y {
			y[i] = rng.IntN(10)
		}
		return x, y, "synthetic", nil
	}
	tr, _, err := datasets.LoadContext(ctx, "mnist", datasets.Options{Dir: dir})
	if err != nil {
		if errors.Is(err, datasets.ErrNotFound) {
			return nil, nil, "", fmt.Errorf("trainbench: %w (or run with -synthetic)", err)
		}
		return nil, nil, "", err
	}
	if tr.N < need {
		need = tr.N
	}
	return tr.X[:need*sz], tr.Y[:need], "mnist", nil
}

// peakRSSMB reads the process's peak resident set (VmHWM) in MB, or 0
// where /proc is not available.
func peakRSSMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest)
			if len(f) >= 1 {
				kb, _ := strconv.ParseFloat(f[0], 64)
				return kb / 1024
			}
		}
	}
	return 0
}
