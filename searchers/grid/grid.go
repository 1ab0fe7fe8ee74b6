// Package grid is the grid-search baseline of the paper's section 5 (GRID):
// it enumerates the depth and the width of a plain convolutional network
// and trains every point from scratch.
//
// The grid: a plain CNN (graph.PlainCNN: conv, batch norm, ReLU and max
// pooling per block, then global average pooling and a dense classifier)
// of Depths conv layers (1 to 6), all of the same width from Widths (16,
// 32, 64, 128, 256 or 512 filters), with 3x3 kernels: 36 points. They are
// proposed in a fixed order, coarse to fine, because a search under a time
// budget sees only the first few: the depths and widths are each taken in
// the order of DepthOrder and WidthOrder (the middle first, then the ends,
// then what lies between, with the deepest networks paired with narrow
// layers in the first round), and round r pairs the k-th depth with the
// (k+r)-th width, modulo 6. The first six points thus try every depth and
// every width once, and the 36 points form a Latin square of six rounds.
// (A depth-major order would spend a short budget on one-layer networks.)
// Once every point has been observed or is pending, Propose returns
// search.ErrExhausted.
package grid

import (
	"context"
	"errors"
	"fmt"

	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/search"
)

var _ search.Searcher = (*Searcher)(nil)

// Depths are the numbers of conv layers on the grid.
var Depths = []int{1, 2, 3, 4, 5, 6}

// Widths are the layer widths on the grid, in filters.
var Widths = []int{16, 32, 64, 128, 256, 512}

// DepthOrder and WidthOrder are the orders, coarse to fine, in which the
// rounds of Propose take Depths and Widths (indices into them).
var (
	DepthOrder = []int{2, 5, 0, 3, 1, 4} // depths 3, 6, 1, 4, 2, 5
	WidthOrder = []int{2, 0, 5, 1, 4, 3} // widths 64, 16, 512, 32, 256, 128
)

// Searcher enumerates the grid. It keeps no state and draws no random
// numbers: its proposal is a function of the history alone, whatever the
// seed.
type Searcher struct {
	input   graph.Shape
	classes int
}

// New returns a grid searcher. cfg.Initial fixes the input shape and the
// number of classes; its layers and cfg.Seed are not used.
func New(cfg search.Config) (*Searcher, error) {
	if cfg.Initial == nil {
		return nil, errors.New("grid: config has no initial architecture (it fixes input shape and classes)")
	}
	return &Searcher{input: cfg.Initial.Input, classes: cfg.Initial.Classes}, nil
}

// Propose returns the first grid point, in the grid's order, that was
// neither observed nor is pending, as a fresh graph; search.ErrExhausted
// when there is none.
func (s *Searcher) Propose(ctx context.Context, h *search.History) (search.Proposal, error) {
	if err := ctx.Err(); err != nil {
		return search.Proposal{}, err
	}
	seen := h.Hashes()
	for i := range Size() {
		g := s.Point(i)
		if !seen[g.Hash()] {
			return search.Proposal{Graph: g}, nil
		}
	}
	return search.Proposal{}, fmt.Errorf("grid: all %d points seen: %w", Size(), search.ErrExhausted)
}

// Size returns the number of points on the grid.
func Size() int { return len(Depths) * len(Widths) }

// Point returns grid point i, 0 <= i < Size(), in the order of Propose:
// in round r = i/6, the k-th depth of DepthOrder (k = i%6) with the
// ((k+r) mod 6)-th width of WidthOrder. It panics if i is out of range.
func (s *Searcher) Point(i int) *graph.Graph {
	if i < 0 || i >= Size() {
		panic(fmt.Sprintf("grid: point %d out of range [0, %d)", i, Size()))
	}
	depth, width := At(i)
	blocks := make([]graph.ConvSpec, depth)
	for j := range blocks {
		blocks[j] = graph.ConvSpec{Units: width, Kernel: 3}
	}
	return graph.PlainCNN(s.input, s.classes, blocks)
}

// At returns the depth and width of grid point i in the order of Propose.
func At(i int) (depth, width int) {
	r, k := i/len(DepthOrder), i%len(DepthOrder)
	return Depths[DepthOrder[k]], Widths[WidthOrder[(k+r)%len(WidthOrder)]]
}
