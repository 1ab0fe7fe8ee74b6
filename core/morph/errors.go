package morph

import "errors"

// ErrInvalidOp is matched (with errors.Is) by every error that says an
// operation does not fit the graph it was applied to.
var ErrInvalidOp = errors.New("morph: operation does not fit the graph")

// OpError says why an operation does not fit a graph. Apply leaves the graph
// unchanged when it returns one.
type OpError struct {
	Op  Op
	Msg string
}

func (e *OpError) Error() string { return "morph: " + e.Op.String() + ": " + e.Msg }

// Is reports whether target is ErrInvalidOp.
func (e *OpError) Is(target error) bool { return target == ErrInvalidOp }
