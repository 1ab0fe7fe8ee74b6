// Package searchers is the registry of the harness's searchers: one
// explicit map from a name to a constructor, one line per searcher.
//
// Adding a searcher takes one folder and one line. The folder,
// searchers/mine, imports only core and holds a type that implements
// search.Searcher and a constructor
//
//	func New(cfg search.Config) (*Searcher, error)
//
// and the line goes in the registry map below:
//
//	"mine": adapt(mine.New), // what it searches
//
// Its test runs the shared conformance suite,
// searchtest.Conformance(t, newSearcher, initial). Nothing in core changes.
//
// The ranking of every registered searcher on the synthetic objective of
// package searchtest (30 evaluations over 10 seeds, no training) is printed
// by a benchmark of this package:
//
//	go test ./searchers -run '^$' -bench Ranking -benchtime 1x
package searchers

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/morphnas/morphnas/core/search"
	"github.com/morphnas/morphnas/searchers/ak"
	"github.com/morphnas/morphnas/searchers/bfs"
	"github.com/morphnas/morphnas/searchers/bo"
	"github.com/morphnas/morphnas/searchers/grid"
	"github.com/morphnas/morphnas/searchers/random"
	"github.com/morphnas/morphnas/searchers/seas"
	"github.com/morphnas/morphnas/searchers/smac"
	"github.com/morphnas/morphnas/searchers/spmt"
)

// Constructor makes a searcher from the config every searcher receives.
type Constructor func(search.Config) (search.Searcher, error)

// ErrUnknown is wrapped by the error New returns for a name that is not
// registered.
var ErrUnknown = errors.New("searchers: unknown searcher")

// registry maps each searcher's name, as the command lines and run records
// spell it, to its constructor.
var registry = map[string]Constructor{
	"ak":     adapt(ak.New),     // the paper's method: Bayesian optimization guiding morphism
	"bfs":    adapt(bfs.New),    // morphism, breadth-first over the morph tree
	"bo":     adapt(bo.New),     // AK's Bayesian optimization, trained from scratch
	"grid":   adapt(grid.New),   // depth and width of a plain CNN on a grid
	"random": adapt(random.New), // depth and widths of a plain CNN at random
	"seas":   adapt(seas.New),   // morphism hill climbing (Elsken et al. 2017)
	"smac":   adapt(smac.New),   // random-forest SMBO over 16 hyperparameters
	"spmt":   adapt(spmt.New),   // GP-EI over 16 hyperparameters
}

// New returns the searcher registered under name, made with cfg.
func New(name string, cfg search.Config) (search.Searcher, error) {
	c, ok := registry[name]
	if !ok {
		return nil, fmt.Errorf("%w %q, want one of %s", ErrUnknown, name, strings.Join(Names(), ", "))
	}
	s, err := c(cfg)
	if err != nil {
		return nil, fmt.Errorf("searchers: %s: %w", name, err)
	}
	return s, nil
}

// Names returns the registered names in alphabetical order.
func Names() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// adapt turns a package's typed constructor into a Constructor, so that a
// failed construction gives a nil interface, not a typed nil.
func adapt[S search.Searcher](f func(search.Config) (S, error)) Constructor {
	return func(cfg search.Config) (search.Searcher, error) {
		s, err := f(cfg)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
}
