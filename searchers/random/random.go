// Package random is the random-search baseline of the paper's section 5
// (RAND): it samples the depth and the widths of a plain convolutional
// network and trains every sample from scratch.
//
// The space: a plain CNN (graph.PlainCNN: conv, batch norm, ReLU and max
// pooling per block, then global average pooling and a dense classifier)
// with a depth of MinDepth to MaxDepth conv layers (1 to 6), each layer's
// width drawn independently from Widths (16, 32, 64, 128, 256 or 512
// filters) and a 3x3 kernel. Depth is drawn uniformly first, then the widths;
// the space holds 6 + 6^2 + ... + 6^6 = 55,986 architectures.
package random

import (
	"context"
	"errors"
	"fmt"

	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/search"
)

var _ search.Searcher = (*Searcher)(nil)

// The ranges of the space.
const (
	MinDepth = 1
	MaxDepth = 6
)

// Widths are the widths a conv layer may have, in filters.
var Widths = []int{16, 32, 64, 128, 256, 512}

// draws is how many random samples Propose tries before it scans the space
// for an architecture not yet seen.
const draws = 64

// Searcher samples plain CNNs at random. It keeps no state: every proposal
// is drawn from History.Rand.
type Searcher struct {
	seed    uint64
	input   graph.Shape
	classes int
	// The space: depths from minDepth to maxDepth, widths from widths.
	minDepth, maxDepth int
	widths             []int
}

// New returns a random searcher. cfg.Initial fixes the input shape and the
// number of classes; its layers are not used.
func New(cfg search.Config) (*Searcher, error) {
	if cfg.Initial == nil {
		return nil, errors.New("random: config has no initial architecture (it fixes input shape and classes)")
	}
	return &Searcher{
		seed: cfg.Seed, input: cfg.Initial.Input, classes: cfg.Initial.Classes,
		minDepth: MinDepth, maxDepth: MaxDepth, widths: Widths,
	}, nil
}

// Propose returns a fresh plain CNN not yet observed or pending: one drawn at
// random, or, when draws random samples in a row were all seen, the first
// unseen one in a scan of the space from a random point. It returns
// search.ErrExhausted when every architecture of the space has been seen.
func (s *Searcher) Propose(ctx context.Context, h *search.History) (search.Proposal, error) {
	if err := ctx.Err(); err != nil {
		return search.Proposal{}, err
	}
	rng := h.Rand(s.seed)
	seen := h.Hashes()
	for range draws {
		depth := s.minDepth + rng.IntN(s.maxDepth-s.minDepth+1)
		widths := make([]int, depth)
		for i := range widths {
			widths[i] = s.widths[rng.IntN(len(s.widths))]
		}
		g := s.build(widths)
		if !seen[g.Hash()] {
			return search.Proposal{Graph: g}, nil
		}
	}

	// Scan the space from a random point: index i of Size() decodes to one
	// architecture.
	n := s.Size()
	start := rng.IntN(n)
	for k := range n {
		if k%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return search.Proposal{}, err
			}
		}
		g := s.build(s.Decode((start + k) % n))
		if !seen[g.Hash()] {
			return search.Proposal{Graph: g}, nil
		}
	}
	return search.Proposal{}, fmt.Errorf("random: all %d architectures seen: %w", n, search.ErrExhausted)
}

// Size returns the number of architectures in the space.
func (s *Searcher) Size() int {
	n, p := 0, 1
	for d := 1; d <= s.maxDepth; d++ {
		p *= len(s.widths)
		if d >= s.minDepth {
			n += p
		}
	}
	return n
}

// Decode returns the widths of architecture i of the space, 0 <= i <
// Size(): all architectures of the smallest depth first, then the next
// depth, each depth in the order of its widths read as digits (first layer
// most significant). It panics if i is out of range.
func (s *Searcher) Decode(i int) []int {
	if i < 0 || i >= s.Size() {
		panic(fmt.Sprintf("random: architecture index %d out of range [0, %d)", i, s.Size()))
	}
	nw := len(s.widths)
	p := 1
	for d := 1; d < s.minDepth; d++ {
		p *= nw
	}
	for d := s.minDepth; ; d++ {
		p *= nw
		if i < p {
			widths := make([]int, d)
			for j := d - 1; j >= 0; j-- {
				widths[j] = s.widths[i%nw]
				i /= nw
			}
			return widths
		}
		i -= p
	}
}

// build returns the plain CNN with the given widths.
func (s *Searcher) build(widths []int) *graph.Graph {
	blocks := make([]graph.ConvSpec, len(widths))
	for i, w := range widths {
		blocks[i] = graph.ConvSpec{Units: w, Kernel: 3}
	}
	return graph.PlainCNN(s.input, s.classes, blocks)
}
