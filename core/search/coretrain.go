package search

import (
	"context"
	"errors"
	"fmt"

	"github.com/morphnas/morphnas/core/train"
)

// NewTrainer returns a Trainer that trains with core/train on the given
// training and validation data. cfg is the base configuration; a job's
// settings, epoch limit, seed and memory bound override it, and cfg.OnEpoch
// is replaced by the loop's. train.ErrTooLarge is reported as
// ErrOutOfMemory and train.ErrDiverged as ErrDiverged.
func NewTrainer(trainData, valData *train.Data, cfg train.Config) Trainer {
	return &coreTrainer{trainData, valData, cfg}
}

type coreTrainer struct {
	train, val *train.Data
	cfg        train.Config
}

func (t *coreTrainer) Train(ctx context.Context, job Job) (Outcome, error) {
	cfg := t.cfg
	if s := job.Settings; s != nil {
		if s.LearningRate > 0 {
			cfg.LearningRate = s.LearningRate
		}
		if s.BatchSize > 0 {
			cfg.BatchSize = s.BatchSize
		}
		if s.Momentum != 0 {
			cfg.Momentum = s.Momentum
		}
		if s.WeightDecay > 0 {
			cfg.WeightDecay = s.WeightDecay
		}
		if s.Optimizer != "" {
			cfg.Optimizer = s.Optimizer
		}
	}
	if job.MaxEpochs > 0 {
		cfg.MaxEpochs = job.MaxEpochs
	}
	if job.MemoryLimit > 0 {
		cfg.MemoryLimit = job.MemoryLimit
	}
	cfg.Seed = job.Seed
	cfg.OnEpoch = func(e train.Epoch) {
		job.OnEpoch(Epoch{e.Epoch, e.TrainLoss, e.ValLoss, e.ValAccuracy, e.Seconds})
	}
	res, err := train.Train(ctx, job.Graph, t.train, t.val, cfg)
	switch {
	case errors.Is(err, train.ErrTooLarge):
		return Outcome{}, fmt.Errorf("%w: %w", ErrOutOfMemory, err)
	case errors.Is(err, train.ErrDiverged):
		return Outcome{Diverged: true}, fmt.Errorf("%w: %w", ErrDiverged, err)
	case err != nil:
		return Outcome{}, err
	case res.Stop == "cancelled":
		// A partial model is not a finished one.
		return Outcome{}, context.Cause(ctx)
	}
	return Outcome{Graph: res.Graph, Metric: res.Metric, Diverged: res.Diverged}, nil
}
