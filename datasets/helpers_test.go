package datasets

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// idxBytes encodes an IDX array of unsigned bytes: magic 0x000008NN, the
// dimensions as big-endian uint32, then data.
func idxBytes(dims []int, data []byte) []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, 0x08, byte(len(dims))})
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, uint32(d))
	}
	b.Write(data)
	return b.Bytes()
}

// gz compresses b with gzip.
func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	_, err := zw.Write(b)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return out.Bytes()
}

// sum returns the hex SHA-256 of b.
func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// writeFile writes b to dir/name, creating dir.
func writeFile(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	require.NoError(t, os.MkdirAll(dir, 0o755))
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, b, 0o644))
	return p
}

// synthIDX makes n images of h x w pixels and their labels: pixel j of
// image i is byte (i*31 + j*7) % 256, label i is labels[i % len(labels)].
// It returns the IDX encodings (plain) and the raw pixels and labels.
func synthIDX(n, h, w int, labels []byte) (imgIDX, labIDX, pix, lab []byte) {
	pix = make([]byte, n*h*w)
	for i := range n {
		for j := range h * w {
			pix[i*h*w+j] = byte((i*31 + j*7) % 256)
		}
	}
	lab = make([]byte, n)
	for i := range lab {
		lab[i] = labels[i%len(labels)]
	}
	return idxBytes([]int{n, h, w}, pix), idxBytes([]int{n}, lab), pix, lab
}

// synthCIFAR makes n CIFAR-10 records: label (first+i)%10, and byte
// (first*13 + i*5 + c*3 + p) % 256 at pixel p of channel plane c.
func synthCIFAR(n, first int) []byte {
	var b bytes.Buffer
	for i := range n {
		b.WriteByte(byte((first + i) % 10))
		for c := range 3 {
			for p := range cifarPlane {
				b.WriteByte(byte((first*13 + i*5 + c*3 + p) % 256))
			}
		}
	}
	return b.Bytes()
}

// tarGz packs files (name to content, in the order of names) into a
// .tar.gz archive.
func tarGz(t testing.TB, names []string, files map[string][]byte) []byte {
	t.Helper()
	var raw bytes.Buffer
	tw := tar.NewWriter(&raw)
	for _, n := range names {
		require.NoError(t, tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(files[n])), Typeflag: tar.TypeReg}))
		_, err := tw.Write(files[n])
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())
	return gz(t, raw.Bytes())
}

// listDir returns the names in dir, or nil if it does not exist.
func listDir(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	require.NoError(t, err)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// testLogger returns a logger that writes text records of every level to w.
func testLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
