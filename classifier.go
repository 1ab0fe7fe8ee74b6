package morphnas

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"time"

	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/search"
	"github.com/morphnas/morphnas/core/train"
	"github.com/morphnas/morphnas/datasets"
	"github.com/morphnas/morphnas/searchers"
)

// Images is a batch of N images of H x W pixels and C channels, in NHWC
// order: the value of channel c at row h, column w of image n is
// Pixels[((n*H+h)*W+w)*C+c]. Values are raw intensities, for example in
// [0, 1]; the classifier normalises them itself.
type Images struct {
	Pixels     []float32
	N, H, W, C int
}

func (x Images) check(where string) error {
	if x.N <= 0 || x.H <= 0 || x.W <= 0 || x.C <= 0 {
		return fmt.Errorf("morphnas: %s: bad image dimensions N=%d H=%d W=%d C=%d", where, x.N, x.H, x.W, x.C)
	}
	if len(x.Pixels) != x.N*x.H*x.W*x.C {
		return fmt.Errorf("morphnas: %s: %d pixel values, want N*H*W*C = %d", where, len(x.Pixels), x.N*x.H*x.W*x.C)
	}
	return nil
}

// Options configure an ImageClassifier. Dir is required; in every other
// field the zero value means the default its comment gives.
type Options struct {
	// Dir is the search directory. Fit resumes a search found there.
	Dir string
	// Searcher is a registry name (see searchers.Names); default "ak".
	Searcher string
	// Time is the wall-clock budget of the search; default 1 hour.
	Time time.Duration
	// MaxModels bounds the number of models trained; default no bound.
	MaxModels int
	// MaxEpochs bounds the epochs of one model in the search; default 20.
	MaxEpochs int
	// Patience is tau of section 3.4; default 5.
	Patience int
	// FinalEpochs, when positive, retrains the best model on the training
	// and validation data together for that many epochs, starting from its
	// searched weights. Default 0: the exported model is the searched one.
	FinalEpochs int
	// Validation is the fraction of the data held out for validation,
	// stratified by class; default 0.2 (section 5).
	Validation float64
	// Seed drives the split, the searcher and the training; default 0.
	Seed uint64
	// Workers is the number of models trained at once; default 1.
	Workers int
	// Logger receives the search's progress; nil discards.
	Logger *slog.Logger
}

// ImageClassifier searches for a network that classifies images, then
// predicts with the best one found.
type ImageClassifier struct {
	opts  Options
	model *Model
	// Result is the search's result after Fit.
	Result *search.Result
}

// NewImageClassifier checks the options and returns a classifier.
func NewImageClassifier(opts Options) (*ImageClassifier, error) {
	if opts.Dir == "" {
		return nil, errors.New("morphnas: options: Dir is required (the search directory)")
	}
	if opts.Searcher == "" {
		opts.Searcher = "ak"
	}
	if !slices.Contains(searchers.Names(), opts.Searcher) {
		return nil, fmt.Errorf("morphnas: options: unknown searcher %q (have %v)", opts.Searcher, searchers.Names())
	}
	if opts.Time == 0 {
		opts.Time = time.Hour
	}
	if opts.MaxEpochs == 0 {
		opts.MaxEpochs = 20
	}
	if opts.Validation == 0 {
		opts.Validation = 0.2
	}
	if opts.Validation <= 0 || opts.Validation >= 1 {
		return nil, fmt.Errorf("morphnas: options: Validation %v outside (0, 1)", opts.Validation)
	}
	if opts.Time < 0 || opts.MaxModels < 0 || opts.MaxEpochs < 0 || opts.FinalEpochs < 0 || opts.Patience < 0 {
		return nil, errors.New("morphnas: options: negative budget")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &ImageClassifier{opts: opts}, nil
}

// Fit searches for the best network for the images and their labels, each
// label a class name. It splits the data into training and validation
// parts, normalises the channels with statistics of the training part, and
// runs the search in Dir; a search already in Dir is resumed.
func (c *ImageClassifier) Fit(ctx context.Context, x Images, labels []string) error {
	if err := x.check("fit"); err != nil {
		return err
	}
	if len(labels) != x.N {
		return fmt.Errorf("morphnas: fit: %d labels for %d images", len(labels), x.N)
	}
	classes := slices.Sorted(slices.Values(labels))
	classes = slices.Compact(classes)
	if len(classes) < 2 {
		return fmt.Errorf("morphnas: fit: %d distinct labels, want at least 2", len(classes))
	}
	index := make(map[string]int, len(classes))
	for i, name := range classes {
		index[name] = i
	}
	all := &datasets.Set{X: slices.Clone(x.Pixels), Y: make([]int, x.N), N: x.N, H: x.H, W: x.W, C: x.C, Classes: classes}
	for i, l := range labels {
		all.Y[i] = index[l]
	}

	// Split and normalise with the training part's statistics only.
	tr, va := all.Split(1-c.opts.Validation, c.opts.Seed)
	if tr.N == 0 || va.N == 0 {
		return fmt.Errorf("morphnas: fit: %d images are too few to hold out a validation part", x.N)
	}
	norm := datasets.FitNorm(tr)
	norm.Apply(tr.X, tr.C)
	norm.Apply(va.X, va.C)
	shape := graph.Shape{H: x.H, W: x.W, C: x.C}
	trainData := &train.Data{X: tr.X, Y: tr.Y, N: tr.N, Shape: shape}
	valData := &train.Data{X: va.X, Y: va.Y, N: va.N, Shape: shape}

	// Search.
	initial := graph.Initial(shape, len(classes))
	s, err := searchers.New(c.opts.Searcher, search.Config{Seed: c.opts.Seed, Initial: initial})
	if err != nil {
		return fmt.Errorf("morphnas: fit: %w", err)
	}
	tcfg := train.Config{Patience: c.opts.Patience, Seed: c.opts.Seed}
	res, err := search.Run(ctx, s, search.Options{
		Dir:     c.opts.Dir,
		Trainer: search.NewTrainer(trainData, valData, tcfg),
		Budget:  search.Budget{Time: c.opts.Time, Models: c.opts.MaxModels, Epochs: c.opts.MaxEpochs},
		Workers: c.opts.Workers,
		Seed:    c.opts.Seed,
		Record:  search.Record{Searcher: c.opts.Searcher, Dataset: fingerprint(x, labels)},
		Logger:  c.opts.Logger,
	})
	if errors.Is(err, search.ErrMismatch) {
		return fmt.Errorf("morphnas: fit: %s holds a search of other data or settings; "+
			"use another Dir, or the same data and searcher to resume: %w", c.opts.Dir, err)
	}
	if err != nil && !errors.Is(err, search.ErrBudget) {
		return fmt.Errorf("morphnas: fit: %w", err)
	}
	c.Result = res
	if res == nil || res.Best == nil {
		return errors.New("morphnas: fit: the search produced no model")
	}

	// Load the incumbent, and retrain it on all the data when asked.
	store, err := search.Open(c.opts.Dir)
	if err != nil {
		return fmt.Errorf("morphnas: fit: %w", err)
	}
	g, err := store.Load(res.Best.ID)
	if err != nil {
		return fmt.Errorf("morphnas: fit: %w", err)
	}
	m := &Model{Graph: g, Norm: norm, Labels: classes, ModelID: res.Best.ID, Metric: res.Best.Metric}
	if c.opts.FinalEpochs > 0 {
		both := &train.Data{X: append(slices.Clone(tr.X), va.X...), Y: append(slices.Clone(tr.Y), va.Y...), N: tr.N + va.N, Shape: shape}
		// The validation data is part of the training data now, so early
		// stopping is off: patience equals the epochs.
		fcfg := train.Config{MaxEpochs: c.opts.FinalEpochs, Patience: c.opts.FinalEpochs, Seed: c.opts.Seed, Logger: c.opts.Logger}
		if s := res.Best.Settings; s != nil {
			fcfg.LearningRate, fcfg.BatchSize, fcfg.Optimizer = s.LearningRate, s.BatchSize, s.Optimizer
			fcfg.Momentum, fcfg.WeightDecay = s.Momentum, s.WeightDecay
		}
		out, err := train.Train(ctx, g, both, valData, fcfg)
		if err != nil {
			return fmt.Errorf("morphnas: fit: final training: %w", err)
		}
		m.Graph, m.Retrained = out.Graph, true
	}
	c.model = m
	return nil
}

// Predict returns the class name predicted for each image. It needs a
// successful Fit.
func (c *ImageClassifier) Predict(x Images) ([]string, error) {
	if c.model == nil {
		return nil, errors.New("morphnas: predict: no model: call Fit first")
	}
	return c.model.Predict(x)
}

// Model returns the best model after Fit, or nil.
func (c *ImageClassifier) Model() *Model { return c.model }

// Export writes the best model to path in the form Load reads.
func (c *ImageClassifier) Export(path string) error {
	if c.model == nil {
		return errors.New("morphnas: export: no model: call Fit first")
	}
	return c.model.Save(path)
}

// fingerprint names the data a search trains on: the image shape, the
// count, the classes and a SHA-256 of the pixels and labels. The search
// directory records it, so that Fit refuses to resume a search of other
// data.
func fingerprint(x Images, labels []string) string {
	h := sha256.New()
	var buf [4]byte
	for _, v := range x.Pixels {
		binary.LittleEndian.PutUint32(buf[:], math.Float32bits(v))
		h.Write(buf[:])
	}
	for _, l := range labels {
		h.Write([]byte(l))
		h.Write([]byte{0})
	}
	return fmt.Sprintf("images %dx%dx%d, %d of them, sha256 %x", x.H, x.W, x.C, x.N, h.Sum(nil)[:8])
}
