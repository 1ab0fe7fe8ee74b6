package datasets

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
)

// idxUbyte is the IDX element type code of unsigned bytes, the only one
// MNIST and Fashion-MNIST use.
const idxUbyte = 0x08

// maxIDXBytes bounds the payload an IDX header may declare (1 GiB), so that
// a corrupt header cannot make the decoder reserve absurd amounts of memory.
const maxIDXBytes = 1 << 30

// IDX is one array decoded from the IDX format of MNIST: its dimensions and
// its unsigned bytes in row-major order.
type IDX struct {
	Dims []int
	Data []byte
}

// ReadIDX decodes an IDX array of unsigned bytes from r, plain or gzip
// compressed (recognised by its first bytes, not by a file name). Errors
// about the data are [*CorruptError]s: [ErrBadMagic] for a wrong magic
// number, [ErrTruncated] when the data ends before its dimensions say,
// [ErrTrailingData] when it goes on after them, [ErrChecksum] when a gzip
// stream fails its own check.
func ReadIDX(r io.Reader) (*IDX, error) {
	return readIDX(r, nil)
}

// readIDX is ReadIDX that also feeds every decompressed byte to h, if h is
// not nil.
func readIDX(r io.Reader, h hash.Hash) (*IDX, error) {
	zr, err := maybeGunzip(r)
	if err != nil {
		return nil, err
	}
	if c, ok := zr.(io.Closer); ok {
		defer c.Close()
	}
	if h != nil {
		zr = io.TeeReader(zr, h)
	}

	// Header: two zero bytes, the element type, the number of dimensions,
	// then each dimension as a big-endian uint32.
	var magic [4]byte
	if _, err := io.ReadFull(zr, magic[:]); err != nil {
		return nil, readErr(err, "idx header")
	}
	if magic[0] != 0 || magic[1] != 0 || magic[2] != idxUbyte || magic[3] == 0 {
		return nil, corrupt(ErrBadMagic, "got 0x%08x, want 0x000008NN (unsigned bytes, NN dimensions)",
			binary.BigEndian.Uint32(magic[:]))
	}
	dims := make([]int, magic[3])
	size := int64(1)
	for i := range dims {
		var d [4]byte
		if _, err := io.ReadFull(zr, d[:]); err != nil {
			return nil, readErr(err, "idx header")
		}
		dims[i] = int(binary.BigEndian.Uint32(d[:]))
		size *= int64(dims[i])
		if size > maxIDXBytes {
			return nil, corrupt(ErrShape, "dimensions %v declare more than %d bytes", dims[:i+1], maxIDXBytes)
		}
	}

	// Payload, then the end of the stream.
	var buf bytes.Buffer
	buf.Grow(int(min(size, 1<<26)))
	n, err := io.CopyN(&buf, zr, size)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, corrupt(ErrTruncated, "got %d of the %d data bytes that dimensions %v declare", n, size, dims)
		}
		return nil, readErr(err, "idx data")
	}
	if err := expectEOF(zr, size); err != nil {
		return nil, err
	}
	return &IDX{Dims: dims, Data: buf.Bytes()}, nil
}

// digits are the class names of MNIST.
var digits = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}

// DecodeIDX decodes a pair of IDX streams, images (N x H x W) and labels
// (N), plain or gzip, into a Set with one channel and the digit classes
// "0".."9". Besides the errors of [ReadIDX] it returns [ErrShape] for
// arrays of the wrong rank, [ErrCountMismatch] when the counts differ and
// [ErrLabelRange] for a label above 9.
func DecodeIDX(images, labels io.Reader) (*Set, error) {
	img, err := ReadIDX(images)
	if err != nil {
		return nil, err
	}
	lab, err := ReadIDX(labels)
	if err != nil {
		return nil, err
	}
	return idxSet(img, lab, digits)
}

// ReadIDXFiles is [DecodeIDX] on two files; errors name the file.
func ReadIDXFiles(imagesPath, labelsPath string) (*Set, error) {
	img, err := readIDXFile(imagesPath, nil)
	if err != nil {
		return nil, err
	}
	lab, err := readIDXFile(labelsPath, nil)
	if err != nil {
		return nil, err
	}
	s, err := idxSet(img, lab, digits)
	return s, withPlace(err, "", labelsPath)
}

// readIDXFile decodes the IDX file at path, feeding h if not nil.
func readIDXFile(path string, h hash.Hash) (*IDX, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("datasets: %w", err)
	}
	defer f.Close()
	a, err := readIDX(f, h)
	if err != nil {
		return nil, withPlace(err, "", path)
	}
	return a, nil
}

// idxSet checks an image array against a label array and builds the Set.
func idxSet(img, lab *IDX, classes []string) (*Set, error) {
	if len(img.Dims) != 3 {
		return nil, corrupt(ErrShape, "images have %d dimensions %v, want 3 (count, rows, columns)", len(img.Dims), img.Dims)
	}
	if len(lab.Dims) != 1 {
		return nil, corrupt(ErrShape, "labels have %d dimensions %v, want 1 (count)", len(lab.Dims), lab.Dims)
	}
	n, h, w := img.Dims[0], img.Dims[1], img.Dims[2]
	if lab.Dims[0] != n {
		return nil, corrupt(ErrCountMismatch, "%d images but %d labels", n, lab.Dims[0])
	}
	s := &Set{N: n, H: h, W: w, C: 1, Classes: classes, X: make([]float32, len(img.Data)), Y: make([]int, n)}
	for i, b := range lab.Data {
		if int(b) >= len(classes) {
			return nil, corrupt(ErrLabelRange, "label %d of example %d, want 0..%d", b, i, len(classes)-1)
		}
		s.Y[i] = int(b)
	}
	for i, b := range img.Data {
		s.X[i] = scale[b]
	}
	return s, nil
}
