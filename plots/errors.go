package plots

import "errors"

var (
	// ErrEmpty is returned for a figure without data: no series, a series
	// without runs, a run without models, an empty matrix.
	ErrEmpty = errors.New("plots: no data")
	// ErrNotFinite is returned when an input value is NaN or infinite.
	ErrNotFinite = errors.New("plots: value is NaN or infinite")
	// ErrShape is returned for inputs of inconsistent sizes: a ragged
	// matrix, a run with more costs than times, a non-positive value on a
	// logarithmic axis, times that run backwards.
	ErrShape = errors.New("plots: inconsistent data")
)
