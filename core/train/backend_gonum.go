//go:build !openblas || !cgo

package train

func defaultBackend() Backend { return Gonum{} }
