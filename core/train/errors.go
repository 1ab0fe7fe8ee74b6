package train

import "errors"

var (
	// ErrDiverged means the training loss became NaN or infinite. Train
	// returns it wrapped, together with a Result whose Diverged is set.
	ErrDiverged = errors.New("train: training diverged")

	// ErrTooLarge means the graph's memory estimate at the batch size is
	// over Config.MemoryLimit; training is refused before it starts.
	ErrTooLarge = errors.New("train: model too large for the memory limit")

	// ErrBadData means the data does not fit the graph: wrong input size,
	// labels outside the classes, or inconsistent lengths.
	ErrBadData = errors.New("train: bad data")
)
