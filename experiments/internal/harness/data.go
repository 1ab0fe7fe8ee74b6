package harness

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/morphnas/morphnas/datasets"
)

// Data is one data set prepared in the paper's setting (section 5): the
// original training set (or the profile's subset of it) split 80/20 into
// Train and Val, Full = Train + Val for the final training, and Test
// untouched until the end. All four are normalised per channel with Norm,
// fitted on Train only.
type Data struct {
	Name                   string
	Train, Val, Full, Test *datasets.Set
	Norm                   datasets.Norm
}

// LoadOptions say where data sets are found.
type LoadOptions struct {
	// Dir is looked in first (see datasets.Options.Dir); empty means the
	// usual places only.
	Dir string
	// Download allows fetching a data set that is found nowhere.
	Download bool
	Logger   *slog.Logger
}

// Load finds and decodes a data set. A data set found nowhere is an error
// matching datasets.ErrNotFound whose message says where it looked and how
// to install it.
func Load(ctx context.Context, name string, opts LoadOptions) (train, test *datasets.Set, err error) {
	return datasets.LoadContext(ctx, name, datasets.Options{
		Dir: opts.Dir, Download: opts.Download, Logger: opts.Logger,
	})
}

// Prepare takes the profile's subsets of train and test (class-balanced,
// drawn from seed), splits the training part 80/20 stratified by class,
// fits the per-channel normalisation on the 80% and applies it to every
// part. The inputs are not changed.
func Prepare(train, test *datasets.Set, p Profile, seed uint64) (*Data, error) {
	if train == nil || test == nil || train.N == 0 || test.N == 0 {
		return nil, fmt.Errorf("harness: prepare: empty training or test set")
	}
	if p.TrainSize > 0 && p.TrainSize < train.N {
		train = train.Subset(p.TrainSize, seed)
	}
	if p.TestSize > 0 && p.TestSize < test.N {
		test = test.Subset(p.TestSize, seed)
	} else {
		test = test.Clone()
	}
	tr, val := train.Split(0.8, seed)
	if tr.N == 0 || val.N == 0 {
		return nil, fmt.Errorf("harness: prepare %s: %d images split into %d training and %d validation",
			train.Name, train.N, tr.N, val.N)
	}
	norm := datasets.FitNorm(tr)
	for _, s := range []*datasets.Set{tr, val, test} {
		norm.Apply(s.X, s.C)
	}
	full, err := datasets.Concat(tr, val)
	if err != nil {
		return nil, fmt.Errorf("harness: prepare %s: %w", train.Name, err)
	}
	return &Data{Name: train.Name, Train: tr, Val: val, Full: full, Test: test, Norm: norm}, nil
}
