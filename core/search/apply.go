package search

import (
	"errors"
	"math/rand/v2"

	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/morph"
)

// defaultApply is Options.Apply's default.
//
// TODO: call morph.ApplyAll once core/morph provides it; until then morph
// proposals fail to build unless Options.Apply is set.
func defaultApply(g *graph.Graph, ops []morph.Op, noise *rand.Rand) error {
	if len(ops) == 0 {
		return nil
	}
	return errors.New("search: morph.ApplyAll not available")
}
