package datasets

import (
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"slices"
)

// CIFAR-10 binary format: each record is one label byte and 32x32 pixels
// stored channel-major (1024 red bytes, 1024 green, 1024 blue, each plane
// row-major).
const (
	cifarSide   = 32
	cifarPlane  = cifarSide * cifarSide
	cifarRecord = 1 + 3*cifarPlane
)

// cifarClasses are the class names of CIFAR-10, in label order.
var cifarClasses = []string{
	"airplane", "automobile", "bird", "cat", "deer",
	"dog", "frog", "horse", "ship", "truck",
}

// DecodeCIFAR10 decodes records of the CIFAR-10 binary format from r (plain
// or gzip) into a Set of 32x32x3 images in NHWC layout with the CIFAR-10
// class names. A stream that is empty or ends inside a record gives
// [ErrTruncated], a label above 9 [ErrLabelRange].
func DecodeCIFAR10(r io.Reader) (*Set, error) {
	s := newCIFARSet()
	if err := appendCIFAR(s, r, nil); err != nil {
		return nil, err
	}
	return s, nil
}

// ReadCIFAR10Files decodes CIFAR-10 binary files (for instance
// data_batch_1.bin ... data_batch_5.bin) into one Set, in the order given.
// Errors name the file.
func ReadCIFAR10Files(paths ...string) (*Set, error) {
	s := newCIFARSet()
	for _, p := range paths {
		if err := appendCIFARFile(s, p, nil); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func newCIFARSet() *Set {
	return &Set{H: cifarSide, W: cifarSide, C: 3, Classes: cifarClasses}
}

// appendCIFARFile appends the records of the file at path to s, feeding
// the file's bytes to h if h is not nil.
func appendCIFARFile(s *Set, path string, h hash.Hash) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("datasets: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > 0 {
		n := int(st.Size() / cifarRecord)
		s.X = slices.Grow(s.X, n*3*cifarPlane)
		s.Y = slices.Grow(s.Y, n)
	}
	return withPlace(appendCIFAR(s, f, h), "", path)
}

// appendCIFAR appends the records read from r to s, feeding the
// (decompressed) bytes to h if h is not nil.
func appendCIFAR(s *Set, r io.Reader, h hash.Hash) error {
	zr, err := maybeGunzip(r)
	if err != nil {
		return err
	}
	if c, ok := zr.(io.Closer); ok {
		defer c.Close()
	}
	if h != nil {
		zr = io.TeeReader(zr, h)
	}
	var rec [cifarRecord]byte
	for i := 0; ; i++ {
		n, err := io.ReadFull(zr, rec[:])
		switch {
		case err == nil:
		case errors.Is(err, io.EOF) && i == 0:
			return corrupt(ErrTruncated, "no records")
		case errors.Is(err, io.EOF):
			return nil
		case errors.Is(err, io.ErrUnexpectedEOF):
			return corrupt(ErrTruncated, "record %d has %d of its %d bytes", i, n, cifarRecord)
		default:
			return readErr(err, "cifar-10 data")
		}
		if int(rec[0]) >= len(cifarClasses) {
			return corrupt(ErrLabelRange, "label %d of record %d, want 0..%d", rec[0], i, len(cifarClasses)-1)
		}
		s.Y = append(s.Y, int(rec[0]))

		// Channel-major planes to NHWC: pixel p of plane c goes to
		// position p*3+c of the image.
		base := len(s.X)
		s.X = slices.Grow(s.X, 3*cifarPlane)[:base+3*cifarPlane]
		img := s.X[base:]
		for c := range 3 {
			plane := rec[1+c*cifarPlane : 1+(c+1)*cifarPlane]
			for p, b := range plane {
				img[p*3+c] = scale[b]
			}
		}
		s.N++
	}
}
