package datasets

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Corruption errors are returned wrapped in a
// [*CorruptError], which also matches [ErrCorrupt].
var (
	// ErrNotFound means a data set is in none of the places looked at and
	// could not be downloaded. The error is a [*NotFoundError].
	ErrNotFound = errors.New("datasets: data set not found")

	// ErrUnknown means the data set name is not one of [Names].
	ErrUnknown = errors.New("datasets: unknown data set")

	// ErrCorrupt matches every [*CorruptError], whatever its kind.
	ErrCorrupt = errors.New("datasets: corrupt data")

	// ErrBadMagic means an IDX file does not start with the magic number
	// of unsigned-byte data with the expected number of dimensions.
	ErrBadMagic = errors.New("datasets: bad magic number")

	// ErrTruncated means a file or download ended before the data its
	// header (or its declared length) promised.
	ErrTruncated = errors.New("datasets: truncated data")

	// ErrTrailingData means a file goes on after the data its header
	// declares.
	ErrTrailingData = errors.New("datasets: trailing data")

	// ErrCountMismatch means the number of images differs from the number
	// of labels, or from the number the data set is known to have.
	ErrCountMismatch = errors.New("datasets: count mismatch")

	// ErrLabelRange means a label is not a valid class index.
	ErrLabelRange = errors.New("datasets: label out of range")

	// ErrShape means the image dimensions are not the data set's.
	ErrShape = errors.New("datasets: unexpected shape")

	// ErrChecksum means a file's SHA-256 is not the recorded one (or a gzip
	// stream's own checksum failed).
	ErrChecksum = errors.New("datasets: checksum mismatch")
)

// CorruptError reports data that is present but wrong.
type CorruptError struct {
	// Dataset is the data set name, or "" when decoding outside [Load].
	Dataset string
	// Path is the file (or URL) the data came from, or "" for a reader.
	Path string
	// Kind is one of the sentinel errors above (ErrBadMagic, ...).
	Kind error
	// Detail says what was found and what was expected.
	Detail string
	// Holds names the file of another data set that the content matches,
	// when a checksum mismatch is explained by one (MNIST and
	// Fashion-MNIST share file names); "" otherwise.
	Holds string
}

// Error implements error.
func (e *CorruptError) Error() string {
	var b strings.Builder
	b.WriteString("datasets: ")
	if e.Dataset != "" {
		b.WriteString(e.Dataset + ": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path + ": ")
	}
	b.WriteString(strings.TrimPrefix(e.Kind.Error(), "datasets: "))
	if e.Detail != "" {
		b.WriteString(": " + e.Detail)
	}
	return b.String()
}

// Unwrap returns the kind and [ErrCorrupt], so that errors.Is matches both.
func (e *CorruptError) Unwrap() []error { return []error{e.Kind, ErrCorrupt} }

// corrupt returns a *CorruptError of the given kind.
func corrupt(kind error, format string, args ...any) *CorruptError {
	return &CorruptError{Kind: kind, Detail: fmt.Sprintf(format, args...)}
}

// withPlace fills the data set and path of a *CorruptError inside err when
// they are still empty, and returns err.
func withPlace(err error, dataset, path string) error {
	var ce *CorruptError
	if errors.As(err, &ce) {
		if ce.Dataset == "" {
			ce.Dataset = dataset
		}
		if ce.Path == "" {
			ce.Path = path
		}
	}
	return err
}

// Place is one location [Load] looked at, and why it was not used.
type Place struct {
	// Path is a directory or URL.
	Path string
	// Reason says what was missing ("no such directory", "missing
	// train-labels-idx1-ubyte[.gz]", "download disabled").
	Reason string
}

// String returns "path (reason)".
func (p Place) String() string { return p.Path + " (" + p.Reason + ")" }

// NotFoundError says that a data set was found nowhere. It matches
// [ErrNotFound] and, when a download was tried, the download's error.
type NotFoundError struct {
	// Dataset is the data set name.
	Dataset string
	// Looked lists every place looked at, in order.
	Looked []Place
	// Install is the one command that makes the data set available.
	Install string
	// Download is the download's error, or nil when none was tried. Its
	// text is already part of Looked.
	Download error
}

// Error implements error.
func (e *NotFoundError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "datasets: %s not found; looked in: ", e.Dataset)
	for i, p := range e.Looked {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	fmt.Fprintf(&b, "; to install it run: %s", e.Install)
	return b.String()
}

// Unwrap returns ErrNotFound and the download error, if any.
func (e *NotFoundError) Unwrap() []error {
	if e.Download == nil {
		return []error{ErrNotFound}
	}
	return []error{ErrNotFound, e.Download}
}
