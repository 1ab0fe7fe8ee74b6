package gp

import "errors"

// ErrInput is wrapped by every error that Fit returns for malformed input: a
// kernel that is empty, not square, not symmetric or not finite, targets of
// the wrong length or not finite, or an invalid Config.
var ErrInput = errors.New("gp: invalid input")

// ErrNotPositiveDefinite is wrapped by the error that Fit returns when the
// kernel matrix, with noise and the largest jitter tried, still has no
// Cholesky factor: the kernel is not positive semidefinite.
var ErrNotPositiveDefinite = errors.New("gp: kernel matrix not positive definite")

// inputError reports malformed input; it matches ErrInput with errors.Is and
// prints only its own message.
type inputError struct{ msg string }

func (e *inputError) Error() string { return "gp: " + e.msg }

func (e *inputError) Is(target error) bool { return target == ErrInput }
