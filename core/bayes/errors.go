package bayes

import "errors"

// ErrNoObservations is returned when the history holds no successful
// observation to fit the Gaussian process to.
var ErrNoObservations = errors.New("bayes: no successful observation to fit")

// ErrNoCandidate is returned when Optimize generated no new candidate:
// every child of every architecture it expanded was observed, pending, over
// the size limits, or not applicable.
var ErrNoCandidate = errors.New("bayes: no new candidate architecture")
