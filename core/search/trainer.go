package search

import (
	"context"
	"encoding/json"
	"math"
	"strconv"

	"github.com/morphnas/morphnas/core/graph"
)

// Trainer trains one model. It is the loop's view of core/train; tests use
// fakes with scripted curves. Train owns job.Graph and returns the trained
// model in Outcome.Graph (it may be the same value). It reports each epoch
// through job.OnEpoch, so that a model cut short by the deadline still has
// its partial curve, and it stops promptly when ctx is cancelled, returning
// ctx's error. Out-of-memory and divergence are returned as errors wrapping
// ErrOutOfMemory and ErrDiverged. A panic in Train's own goroutine is
// recovered by the loop; one in a goroutine Train starts is not.
type Trainer interface {
	Train(ctx context.Context, job Job) (Outcome, error)
}

// Job is one model to train.
type Job struct {
	// ID is the model id the loop gave the proposal.
	ID int
	// Graph carries weights: transferred from the parent through the
	// morph operations, or freshly initialised.
	Graph *graph.Graph
	// Settings are the proposal's training settings, or nil for the
	// trainer's defaults.
	Settings *Settings
	// MaxEpochs is the budget's limit of epochs per model; zero means the
	// trainer's own.
	MaxEpochs int
	// Seed is derived from the run's seed and the model id.
	Seed uint64
	// MemoryLimit is the loop's current memory bound in bytes, zero for
	// none; a trainer may refuse a model above it with ErrOutOfMemory.
	MemoryLimit int64
	// OnEpoch is called after every epoch, from any goroutine, one call at
	// a time. Never nil.
	OnEpoch func(Epoch)
}

// Epoch is one point of a learning curve.
type Epoch struct {
	Epoch       int     `json:"epoch"` // from 1
	TrainLoss   float64 `json:"train_loss"`
	ValLoss     float64 `json:"val_loss"`
	ValAccuracy float64 `json:"val_accuracy"`
	Seconds     float64 `json:"seconds"` // wall time of this epoch
}

// MarshalJSON writes NaN and infinite values as the strings "NaN", "+Inf"
// and "-Inf", which plain JSON numbers cannot hold: a diverged curve is
// journaled as it was.
func (e Epoch) MarshalJSON() ([]byte, error) {
	return json.Marshal(epochJSON{e.Epoch, jnum(e.TrainLoss), jnum(e.ValLoss), jnum(e.ValAccuracy), jnum(e.Seconds)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (e *Epoch) UnmarshalJSON(data []byte) error {
	var j epochJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	*e = Epoch{j.Epoch, float64(j.TrainLoss), float64(j.ValLoss), float64(j.ValAccuracy), float64(j.Seconds)}
	return nil
}

type epochJSON struct {
	Epoch       int  `json:"epoch"`
	TrainLoss   jnum `json:"train_loss"`
	ValLoss     jnum `json:"val_loss"`
	ValAccuracy jnum `json:"val_accuracy"`
	Seconds     jnum `json:"seconds"`
}

// jnum is a float64 whose JSON form also holds NaN and infinities.
type jnum float64

func (x jnum) MarshalJSON() ([]byte, error) {
	f := float64(x)
	switch {
	case math.IsNaN(f):
		return []byte(`"NaN"`), nil
	case math.IsInf(f, 1):
		return []byte(`"+Inf"`), nil
	case math.IsInf(f, -1):
		return []byte(`"-Inf"`), nil
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64), nil
}

func (x *jnum) UnmarshalJSON(data []byte) error {
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return err
		}
		*x = jnum(f)
		return nil
	}
	var f float64
	if err := json.Unmarshal(data, &f); err != nil {
		return err
	}
	*x = jnum(f)
	return nil
}

// Outcome is what a trainer returns for a model that trained to the end.
type Outcome struct {
	// Graph is the trained model, with weights.
	Graph *graph.Graph
	// Metric is the performance estimate of section 3.4: the mean
	// validation accuracy of the last tau epochs.
	Metric float64
	// Curve is the learning curve. It may stay nil when every epoch was
	// reported through Job.OnEpoch.
	Curve []Epoch
	// Diverged is set when training stopped on a NaN or infinite loss.
	Diverged bool
}

// The kinds of failure; an Observation's Reason starts with one of them,
// followed by ": " and the detail.
const (
	ReasonPanic       = "panic"         // the trainer panicked
	ReasonDiverged    = "diverged"      // NaN or infinite loss or metric
	ReasonOutOfMemory = "out of memory" // the trainer ran out of memory
	ReasonTooLarge    = "too large"     // memory estimate above the bound; not trained
	ReasonCutShort    = "cut short"     // stopped at the deadline; partial curve journaled
	ReasonBuild       = "build"         // the proposal could not be built
	ReasonDuplicate   = "duplicate"     // the architecture was observed or pending
	ReasonError       = "error"         // any other trainer or storage error
)
