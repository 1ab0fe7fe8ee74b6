package graph

import (
	"errors"
	"fmt"
)

// ErrNoWeights is returned by operations that need weights on a bare
// architecture.
var ErrNoWeights = errors.New("graph: graph carries no weights")

// LayerError reports a problem with one layer of a graph. Layer is the
// layer's index and Node the node it produces (Layer+1).
type LayerError struct {
	Layer int
	Kind  Kind
	Msg   string
}

func (e *LayerError) Error() string {
	return fmt.Sprintf("graph: layer %d (%s, node %d): %s", e.Layer, e.Kind, e.Layer+1, e.Msg)
}

func layerErr(i int, k Kind, format string, args ...any) error {
	return &LayerError{Layer: i, Kind: k, Msg: fmt.Sprintf(format, args...)}
}
