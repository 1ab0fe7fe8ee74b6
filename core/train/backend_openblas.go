//go:build openblas && cgo

package train

/*
#cgo LDFLAGS: -lopenblas
void openblas_set_num_threads(int num_threads);
*/
import "C"

import (
	"sync"

	"gonum.org/v1/netlib/blas/netlib"
)

// OpenBLAS is the backend on OpenBLAS, through gonum's netlib binding. It
// exists only in builds with the `openblas` tag (and cgo), and needs
// Debian's libopenblas-dev (or any libopenblas) at build and run time.
type OpenBLAS struct{}

var singleThread sync.Once

// NewOpenBLAS returns the OpenBLAS backend. It sets OpenBLAS to one thread
// per call, for the engine runs one call per core itself.
func NewOpenBLAS() OpenBLAS {
	singleThread.Do(func() { C.openblas_set_num_threads(1) })
	return OpenBLAS{}
}

// Name returns "openblas".
func (OpenBLAS) Name() string { return "openblas" }

// Sgemm implements Backend.
func (OpenBLAS) Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int) {
	netlib.Implementation{}.Sgemm(trans(transA), trans(transB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func defaultBackend() Backend { return NewOpenBLAS() }
