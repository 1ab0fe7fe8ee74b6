package datasets

import (
	"bytes"
	"errors"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadIDXFilesExact(t *testing.T) {
	imgIDX, labIDX, pix, lab := synthIDX(7, 5, 4, []byte{3, 0, 9, 1})
	for _, tc := range []struct {
		name string
		pack func([]byte) []byte
	}{
		{"plain", func(b []byte) []byte { return b }},
		{"gzip", func(b []byte) []byte { return gz(t, b) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			ip := writeFile(t, dir, "images", tc.pack(imgIDX))
			lp := writeFile(t, dir, "labels", tc.pack(labIDX))
			s, err := ReadIDXFiles(ip, lp)
			require.NoError(t, err)
			require.NoError(t, s.Validate())
			assert.Equal(t, []int{7, 5, 4, 1}, []int{s.N, s.H, s.W, s.C})
			require.Len(t, s.X, len(pix))
			for i, b := range pix {
				if s.X[i] != float32(b)/255 {
					t.Fatalf("X[%d] = %v, want %d/255 = %v", i, s.X[i], b, float32(b)/255)
				}
			}
			want := make([]int, len(lab))
			for i, b := range lab {
				want[i] = int(b)
			}
			assert.Equal(t, want, s.Y)
			assert.Equal(t, digits, s.Classes)
		})
	}
}

func TestReadIDXHeader(t *testing.T) {
	// A 4-dimensional array decodes with its dimensions and data intact.
	data := []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	a, err := ReadIDX(bytes.NewReader(idxBytes([]int{1, 2, 3, 2}, data)))
	require.NoError(t, err)
	assert.Equal(t, []int{1, 2, 3, 2}, a.Dims)
	assert.Equal(t, data, a.Data)
}

// corruptKinds lists every corruption kind, to check that an error has
// its own kind and none of the others.
var corruptKinds = []error{
	ErrBadMagic, ErrTruncated, ErrTrailingData, ErrCountMismatch,
	ErrLabelRange, ErrShape, ErrChecksum,
}

// requireKind checks that err is a *CorruptError of kind want only.
func requireKind(t *testing.T, err error, want error) {
	t.Helper()
	require.Error(t, err)
	require.ErrorIs(t, err, want, "error: %v", err)
	require.ErrorIs(t, err, ErrCorrupt)
	for _, k := range corruptKinds {
		if k != want {
			assert.NotErrorIs(t, err, k, "error %q also matches %q", err, k)
		}
	}
	var ce *CorruptError
	require.True(t, errors.As(err, &ce))
}

func TestReadIDXFilesCorrupt(t *testing.T) {
	imgIDX, labIDX, _, _ := synthIDX(6, 4, 4, []byte{0, 1, 2})
	gzImg := gz(t, imgIDX)
	badCRC := bytes.Clone(gzImg)
	badCRC[len(badCRC)-8] ^= 0xff // first byte of the crc-32 trailer

	for _, tc := range []struct {
		name     string
		img, lab []byte
		kind     error
		inMsg    string
	}{
		{"images magic of labels", idxBytes([]int{6 * 4 * 4}, imgIDX[16:]), labIDX, ErrShape, "want 3"},
		{"magic not ubyte", append([]byte{0, 0, 0x0d, 3}, imgIDX[4:]...), labIDX, ErrBadMagic, "0x00000d03"},
		{"magic high bytes", append([]byte{1, 0, 0x08, 3}, imgIDX[4:]...), labIDX, ErrBadMagic, "0x01000803"},
		{"images truncated", imgIDX[:len(imgIDX)-5], labIDX, ErrTruncated, "got 91 of the 96"},
		{"header truncated", imgIDX[:9], labIDX, ErrTruncated, "header"},
		{"gzip truncated", gzImg[:len(gzImg)/2], labIDX, ErrTruncated, "gzip"},
		{"gzip crc", badCRC, labIDX, ErrChecksum, "crc"},
		{"trailing data", append(bytes.Clone(imgIDX), 1, 2, 3), labIDX, ErrTrailingData, "3 bytes after"},
		{"count mismatch", imgIDX, idxBytes([]int{5}, []byte{0, 1, 2, 3, 4}), ErrCountMismatch, "6 images but 5 labels"},
		{"label out of range", imgIDX, idxBytes([]int{6}, []byte{0, 1, 2, 10, 4, 5}), ErrLabelRange, "label 10 of example 3"},
		{"huge dimensions", idxBytes([]int{1 << 20, 1 << 10, 1 << 10}, nil), labIDX, ErrShape, "declare more"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			ip := writeFile(t, dir, "images", tc.img)
			lp := writeFile(t, dir, "labels", tc.lab)
			s, err := ReadIDXFiles(ip, lp)
			assert.Nil(t, s)
			requireKind(t, err, tc.kind)
			assert.Contains(t, err.Error(), tc.inMsg)
			assert.Regexp(t, `^datasets: `+regexp.QuoteMeta(dir), err.Error(), "the message names the file")
		})
	}
}

func TestDecodeIDXEmptyStream(t *testing.T) {
	_, err := DecodeIDX(bytes.NewReader(nil), bytes.NewReader(nil))
	requireKind(t, err, ErrTruncated)
	assert.Equal(t, "datasets: truncated data: idx header ends early", err.Error())
}

func TestReadIDXFilesMissing(t *testing.T) {
	_, err := ReadIDXFiles(filepath.Join(t.TempDir(), "nope"), "x")
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrCorrupt)
	assert.Contains(t, err.Error(), "nope")
}
