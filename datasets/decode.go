package datasets

import (
	"bufio"
	"compress/gzip"
	"errors"
	"io"
)

// scale maps a pixel byte to its float32 value in [0,1]: scale[b] = b/255.
var scale = func() (t [256]float32) {
	for i := range t {
		t[i] = float32(i) / 255
	}
	return t
}()

// maybeGunzip returns a reader of the decompressed data if r starts with
// the gzip magic bytes, and of r itself otherwise. The returned close
// function releases the gzip reader.
func maybeGunzip(r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	head, err := br.Peek(2)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, gzipErr(err)
		}
		return zr, nil
	}
	return br, nil
}

// gzipErr maps the errors of compress/gzip to this package's kinds.
func gzipErr(err error) error {
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return corrupt(ErrTruncated, "gzip stream ends early")
	case errors.Is(err, gzip.ErrChecksum):
		return corrupt(ErrChecksum, "gzip stream fails its own crc-32")
	case errors.Is(err, gzip.ErrHeader):
		return corrupt(ErrTruncated, "gzip header is damaged")
	}
	return err
}

// readErr maps an error met while reading data to this package's kinds:
// gzip problems and short reads become *CorruptError, other (I/O) errors
// pass through.
func readErr(err error, what string) error {
	var ce *CorruptError
	switch {
	case errors.As(err, &ce):
		return err
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return corrupt(ErrTruncated, "%s ends early", what)
	case errors.Is(err, gzip.ErrChecksum), errors.Is(err, gzip.ErrHeader):
		return gzipErr(err)
	}
	return err
}

// expectEOF reads r to its end (which also checks a gzip stream's crc) and
// reports data left over after the declared content.
func expectEOF(r io.Reader, declared int64) error {
	var one [1]byte
	n, err := io.ReadFull(r, one[:])
	if n > 0 {
		rest, _ := io.Copy(io.Discard, r)
		return corrupt(ErrTrailingData, "%d bytes after the %d declared", rest+1, declared)
	}
	if errors.Is(err, io.EOF) {
		return nil
	}
	return readErr(err, "data")
}
