package harness

import "errors"

// ErrOtherRun is wrapped by the error RunCell returns on resume when the
// job's directory holds a search run with other settings than the job's
// (another profile, searcher, data set, seed or searcher options). The
// experiments stop on it: reading that search back would put its results
// under this run's name.
var ErrOtherRun = errors.New("harness: search of another run")
