package search

import "errors"

// ErrBudget is returned by Run when the budget was already spent before the
// call could train anything: raise it to continue the search.
var ErrBudget = errors.New("search: budget spent")

// ErrNoModel is returned when a model is asked for that the search does not
// have: no successful observation yet, or weights that were discarded.
var ErrNoModel = errors.New("search: no such model")

// ErrMismatch is returned when Run resumes a directory whose run record
// names another searcher, seed, profile or dataset than the options.
var ErrMismatch = errors.New("search: directory belongs to another run")

// ErrLocked is returned when another process is searching in the directory.
var ErrLocked = errors.New("search: directory in use by another search")

// ErrCorruptJournal is returned when a journal line other than a last,
// half-written one cannot be decoded.
var ErrCorruptJournal = errors.New("search: corrupt journal")

// ErrOutOfMemory is what a Trainer returns (wrapped) when the model did not
// fit in memory. The loop records the trial as failed and lowers the memory
// bound below the model's estimate.
var ErrOutOfMemory = errors.New("search: out of memory")

// ErrDiverged is what a Trainer returns (wrapped) when the loss became NaN
// or infinite. The loop also treats a non-finite metric or loss as
// divergence.
var ErrDiverged = errors.New("search: training diverged")
